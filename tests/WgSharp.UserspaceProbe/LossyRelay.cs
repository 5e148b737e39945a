using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace WgSharp.UserspaceProbe;

/// <summary>
/// `relay LISTEN TARGET DROP REORDER DUPLICATE`: a UDP forwarder that loses, holds back (reorders) and duplicates
/// datagrams at the given rates, both ways; the benchmark puts it between a WireGuard endpoint and its peer. Answers
/// from TARGET go to the last client heard. Seeded, so runs are comparable. Runs until killed.
/// </summary>
internal sealed class LossyRelay
{
    private static readonly TimeSpan HoldBack = TimeSpan.FromMilliseconds(5);
    private readonly Socket _front;
    private readonly Socket _back;
    private readonly IPEndPoint _target;
    private readonly double _drop, _reorder, _duplicate;
    private readonly Random _random = new(1);
    private readonly Lock _lock = new();
    private readonly PriorityQueue<(byte[] Data, bool ToTarget), long> _held = new();
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private IPEndPoint? _client;
    private long _forwarded, _dropped, _reordered, _duplicated;

    private LossyRelay(IPEndPoint listen, IPEndPoint target, double drop, double reorder, double duplicate)
    {
        _target = target;
        (_drop, _reorder, _duplicate) = (drop, reorder, duplicate);
        _front = new Socket(listen.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        GrowReceiveBuffer(_front);
        _front.Bind(listen);
        _back = new Socket(target.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        GrowReceiveBuffer(_back);
        _back.Bind(new IPEndPoint(target.AddressFamily == AddressFamily.InterNetwork ? IPAddress.Any : IPAddress.IPv6Any, 0));
    }

    public static int Run(string[] arguments)
    {
        if (arguments.Length != 5)
        {
            Console.Error.WriteLine("usage: relay LISTEN_IP:PORT TARGET_IP:PORT DROP REORDER DUPLICATE (rates 0-1)");
            return 1;
        }
        var relay = new LossyRelay(IPEndPoint.Parse(arguments[0]), IPEndPoint.Parse(arguments[1]), Rate(arguments[2]), Rate(arguments[3]), Rate(arguments[4]));
        Console.WriteLine($"relaying listen={relay._front.LocalEndPoint} target={relay._target} receive-buffer={relay._front.ReceiveBufferSize}");
        new Thread(() => relay.Pump(relay._front, toTarget: true)) { IsBackground = true }.Start();
        new Thread(() => relay.Pump(relay._back, toTarget: false)) { IsBackground = true }.Start();
        new Thread(relay.ReleaseHeld) { IsBackground = true }.Start();
        // Statistics on SIGTERM/SIGINT, then exit.
        using var stop = new ManualResetEventSlim();
        using var term = System.Runtime.InteropServices.PosixSignalRegistration.Create(System.Runtime.InteropServices.PosixSignal.SIGTERM, c => { c.Cancel = true; stop.Set(); });
        using var interrupt = System.Runtime.InteropServices.PosixSignalRegistration.Create(System.Runtime.InteropServices.PosixSignal.SIGINT, c => { c.Cancel = true; stop.Set(); });
        stop.Wait();
        // Its CPU too: the relay shares the machine with both ends, and the benchmark checks it costs both sides alike.
        using var self = Process.GetCurrentProcess();
        string cpu = self.TotalProcessorTime.TotalSeconds.ToString("F2", CultureInfo.InvariantCulture);
        lock (relay._lock)
            Console.WriteLine($"result command=relay forwarded={relay._forwarded} dropped={relay._dropped} reordered={relay._reordered} duplicated={relay._duplicated} cpu-seconds={cpu}");
        return 0;
    }

    /// <summary>
    /// The relay stands for a lossy path, not for a shallow queue: with the default receive buffer (~208 KB, ~140
    /// datagrams) a sender's burst overflowed the relay's sockets while its one thread forwarded, losses it never
    /// counted (155 K datagrams in one lossy benchmark run, against the 6 K it meant to drop). 32 MiB; beyond
    /// net.core.rmem_max only as root (SO_RCVBUFFORCE), else what the system allows.
    /// </summary>
    private static void GrowReceiveBuffer(Socket socket)
    {
        const int Size = 32 << 20;
        socket.ReceiveBufferSize = Size;
        if (!OperatingSystem.IsLinux() || socket.ReceiveBufferSize >= Size) return;
        try { socket.SetRawSocketOption(SolSocket, SoRcvBufForce, BitConverter.GetBytes(Size)); }
        catch (SocketException) { } // not root: keep what rmem_max allowed
    }

    private const int SolSocket = 1, SoRcvBufForce = 33; // Linux <asm-generic/socket.h>

    private static double Rate(string text) => double.Parse(text, CultureInfo.InvariantCulture);

    private void Pump(Socket socket, bool toTarget)
    {
        var buffer = new byte[65536];
        EndPoint from = new IPEndPoint(socket.AddressFamily == AddressFamily.InterNetwork ? IPAddress.Any : IPAddress.IPv6Any, 0);
        while (true)
        {
            int length;
            try
            {
                length = socket.ReceiveFrom(buffer, ref from);
            }
            catch (SocketException)
            {
                continue;
            }
            IPEndPoint? destination;
            int copies;
            bool holdBack;
            lock (_lock)
            {
                if (toTarget)
                    _client = (IPEndPoint)from;
                destination = toTarget ? _target : _client;
                if (destination is null || _random.NextDouble() < _drop)
                {
                    _dropped++;
                    continue;
                }
                copies = _random.NextDouble() < _duplicate ? 2 : 1;
                _duplicated += copies - 1;
                holdBack = _random.NextDouble() < _reorder;
                if (holdBack)
                {
                    _reordered++;
                    _held.Enqueue((buffer.AsSpan(0, length).ToArray(), toTarget), _clock.Elapsed.Ticks + HoldBack.Ticks);
                    copies--;
                }
                _forwarded += copies;
            }
            for (int i = 0; i < copies; i++)
                Send(buffer.AsSpan(0, length), toTarget, destination);
        }
    }

    /// <summary>Sends held-back datagrams once their time has come (later ones have overtaken them meanwhile).</summary>
    private void ReleaseHeld()
    {
        while (true)
        {
            (byte[] Data, bool ToTarget) item;
            IPEndPoint? destination;
            lock (_lock)
            {
                if (!_held.TryPeek(out item, out long due) || due > _clock.Elapsed.Ticks)
                    item = default;
                else
                    _held.Dequeue();
                destination = item.ToTarget ? _target : _client;
                if (item.Data is not null)
                    _forwarded++;
            }
            if (item.Data is null)
            {
                Thread.Sleep(1);
                continue;
            }
            if (destination is not null)
                Send(item.Data, item.ToTarget, destination);
        }
    }

    private void Send(ReadOnlySpan<byte> datagram, bool toTarget, IPEndPoint destination)
    {
        try
        {
            (toTarget ? _back : _front).SendTo(datagram, SocketFlags.None, destination);
        }
        catch (SocketException)
        {
            // a full buffer or an unreachable port: lost, as on a real path
        }
    }
}
