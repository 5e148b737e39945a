using System.Diagnostics;
using System.Net;
using System.Security.Cryptography;
using WgSharp.Device.IO;
using WgSharp.Netstack;
using WgSharp.Netstack.Tcp;

/// <summary>
/// `netstack-loss`: TCP goodput between two userspace stacks wired back to back in one process (no WireGuard, no
/// kernel), each direction on its own thread, through a seeded lossy link: no loss, 1 packet in 7 dropped, and 3 %
/// loss with 5 % reordering and 1 % duplication. Each case moves SIZE MB up (client to server) and down, checks the
/// SHA-256 and prints Mbit/s and retransmissions. What the loss recovery makes of a lossy path, without the machine's
/// network in the way. Usage: netstack-loss [MB per transfer, default 16] [case: all|none|1in7|lossy]
/// </summary>
internal static class NetstackLossBench
{
    private sealed record Case(string Name, int DropEvery, double Loss, double Reorder, double Duplicate);

    private static readonly Case[] Cases =
    [
        new("none", 0, 0, 0, 0),
        new("1in7", 7, 0, 0, 0),
        new("3%/5%/1%", 0, 0.03, 0.05, 0.01),
    ];

    public static void Run(string[] args)
    {
        int megabytes = args.Length > 0 && int.TryParse(args[0], out var m) ? m : 16;
        string only = args.Length > 1 ? args[1] : "all";
        Console.WriteLine($"{"case",-10} {"dir",-5} {"MB",4} {"Mbit/s",9} {"seconds",8} {"rtx",7}");
        foreach (var c in Cases)
        {
            if (only != "all" && !c.Name.StartsWith(only, StringComparison.Ordinal)) continue;
            foreach (bool up in new[] { true, false })
            {
                var (seconds, retransmits, ok) = Transfer(c, megabytes << 20, up, seed: 42);
                double mbit = ok ? megabytes * 8.0 * 1.048576 / seconds : 0;
                Console.WriteLine($"{c.Name,-10} {(up ? "up" : "down"),-5} {megabytes,4} {mbit,9:F1} {seconds,8:F2} {retransmits,7}{(ok ? "" : "  FAILED (stalled or corrupt)")}");
            }
        }
    }

    private static (double Seconds, long Retransmits, bool Ok) Transfer(Case c, int size, bool up, int seed)
    {
        var a = new Netstack(new NetstackOptions { Addresses = [IPNetwork.Parse("10.99.0.1/32")], Mtu = 1420 });
        var b = new Netstack(new NetstackOptions { Addresses = [IPNetwork.Parse("10.99.0.2/32")], Mtu = 1420 });
        var aToB = new LossyLink(a, b, c, seed);
        var bToA = new LossyLink(b, a, c, seed + 1);
        try { return Transfer(a, b, c, size, up, seed); }
        finally
        {
            // The stacks first: their disposal ends the links' blocking reads.
            a.Dispose();
            b.Dispose();
            aToB.Dispose();
            bToA.Dispose();
            Console.Error.WriteLine($"  dropped a->b {aToB.Dropped}, b->a {bToA.Dropped}");
        }
    }

    private static (double Seconds, long Retransmits, bool Ok) Transfer(Netstack a, Netstack b, Case c, int size, bool up, int seed)
    {
        var listener = b.Tcp.Listen(UdpEndpoint.FromIPEndPoint(new IPEndPoint(IPAddress.Parse("10.99.0.2"), 7000)), 8);
        var client = a.Tcp.Connect(UdpEndpoint.FromIPEndPoint(new IPEndPoint(IPAddress.Parse("10.99.0.1"), 0)),
            UdpEndpoint.FromIPEndPoint(new IPEndPoint(IPAddress.Parse("10.99.0.2"), 7000)));
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(300));
        while (!client.IsEstablished) client.ConnectSignal.WaitAsync(timeout.Token).AsTask().GetAwaiter().GetResult();
        TcpConnection? server;
        while ((server = listener.TryAccept()) is null) listener.AcceptSignal.WaitAsync(timeout.Token).AsTask().GetAwaiter().GetResult();

        var (sender, receiver) = up ? (client, server) : (server, client);
        var data = new byte[size];
        new Random(seed).NextBytes(data);
        var stopwatch = Stopwatch.StartNew();
        var send = Task.Run(async () =>
        {
            int sent = 0;
            while (sent < data.Length)
            {
                int n = sender.Send(data.AsSpan(sent, Math.Min(1 << 20, data.Length - sent)));
                if (n == -1) { await sender.SendSignal.WaitAsync(timeout.Token); continue; }
                if (n < 0) return;
                sent += n;
            }
            sender.ShutdownSend();
        });
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var buffer = new byte[256 * 1024];
        long got = 0;
        try
        {
            while (true)
            {
                int n = receiver.Receive(buffer);
                if (n == -1) { receiver.ReceiveSignal.WaitAsync(timeout.Token).AsTask().GetAwaiter().GetResult(); continue; }
                if (n <= 0) break;
                hash.AppendData(buffer, 0, n);
                got += n;
            }
        }
        catch (OperationCanceledException) { }
        double seconds = stopwatch.Elapsed.TotalSeconds;
        bool ok = got == size && hash.GetHashAndReset().AsSpan().SequenceEqual(SHA256.HashData(data));
        long retransmits = (up ? a : b).Counters[NetstackCounter.TcpRetransmits];
        Console.Error.WriteLine($"  receiver out-of-order dropped {(up ? b : a).Counters[NetstackCounter.TcpOutOfOrderDropped]}, sender {sender.DebugState()}");
        timeout.Cancel();
        try { send.Wait(); } catch (AggregateException) { }
        return (seconds, retransmits, ok);
    }

    /// <summary>Carries one stack's output to the other on a thread, dropping, holding back (reordering) and duplicating by a seeded Random.</summary>
    private sealed class LossyLink
    {
        private readonly Netstack _from, _to;
        private readonly Case _case;
        private readonly Random _random;
        private readonly PacketBatch _batch = new(64, 1420);
        private readonly byte[] _held = new byte[1420];
        private readonly Thread _thread;
        private int _heldLength, _count;
        public int Dropped;

        public LossyLink(Netstack from, Netstack to, Case c, int seed)
        {
            _from = from;
            _to = to;
            _case = c;
            _random = new Random(seed);
            _thread = new Thread(Carry) { IsBackground = true, Name = "netstack-loss link" };
            _thread.Start();
        }

        private void Carry()
        {
            while (true)
            {
                int n = _from.ReadOutput(_batch);
                if (n < 0 || _to.IsDisposed) return;
                for (int i = 0; i < n; i++)
                {
                    var packet = _batch.Packet(i);
                    _count++;
                    if (_case.DropEvery > 0 && _count % _case.DropEvery == 0) { Dropped++; continue; }
                    if (_case.Loss > 0 && _random.NextDouble() < _case.Loss) { Dropped++; continue; }
                    if (_heldLength == 0 && _case.Reorder > 0 && _random.NextDouble() < _case.Reorder)
                    {
                        // Held back until the next packet has gone: the two arrive swapped.
                        packet.CopyTo(_held);
                        _heldLength = packet.Length;
                        continue;
                    }
                    _to.Input(packet);
                    if (_case.Duplicate > 0 && _random.NextDouble() < _case.Duplicate) _to.Input(packet);
                    if (_heldLength > 0) { _to.Input(_held.AsSpan(0, _heldLength)); _heldLength = 0; }
                }
                if (_heldLength > 0) { _to.Input(_held.AsSpan(0, _heldLength)); _heldLength = 0; }
            }
        }

        public void Dispose()
        {
            _thread.Join();
            _batch.Dispose();
        }
    }
}
