using System.Net;
using WgSharp.Device.IO;
using WgSharp.Netstack;
using WgSharp.Netstack.Tcp;

namespace WgSharp.Tests.Netstack;

/// <summary>
/// InlineCompletions (UserspaceNetworkOptions): a read or write waiting on a TunnelStream resumes on the thread that
/// delivered the input burst, at the burst's end, instead of on the thread pool; off (the default), never on that thread.
/// Two stacks are pumped by hand on the test thread, so "which thread" and "before Write returned" are exact.
/// </summary>
public sealed class InlineCompletionTests
{
    private static readonly IPNetwork AddressA = IPNetwork.Parse("10.97.0.1/32");
    private static readonly IPNetwork AddressB = IPNetwork.Parse("10.97.0.2/32");

    [Fact]
    public void ASignalSetInlineRunsTheWaitersContinuationOnTheCallingThreadAndMayBeWaitedOnAgainThere()
    {
        var signal = new AsyncSignal();
        int ranOn = 0;
        bool waitedAgain = false;
        var awaiter = WithoutContext(signal.WaitAsync());
        awaiter.OnCompleted(() =>
        {
            awaiter.GetResult();
            ranOn = Environment.CurrentManagedThreadId;
            waitedAgain = !signal.WaitAsync().IsCompleted; // a new wait begins from inside the continuation
        });

        signal.Set(runInline: true);

        Assert.Equal(Environment.CurrentManagedThreadId, ranOn);
        Assert.True(waitedAgain);
        signal.Set(); // the second wait is pending: it completes (on the pool) rather than throwing
    }

    // As the stream's own awaits: a test's synchronization context would otherwise receive the continuation.
    private static System.Runtime.CompilerServices.ConfiguredValueTaskAwaitable.ConfiguredValueTaskAwaiter WithoutContext(ValueTask wait) =>
        wait.ConfigureAwait(false).GetAwaiter();

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task AWaitingReadResumesOnTheDeliveringThreadOnlyWithInlineCompletions(bool inline)
    {
        using var pair = new ManualPair(new TcpSettings { InlineCompletions = inline });
        var (client, server) = pair.Connect();
        await using var stream = new TunnelStream(server);
        bool resumedInsideTheDelivery = false;
        var buffer = new byte[4096];
        var read = ReadAndNote();
        Assert.False(read.IsCompleted); // nothing sent yet: the read waits

        Assert.Equal(1000, client.Send(new byte[1000]));
        pair.Pump(); // delivers the segment to B in one burst on this thread

        Assert.Equal(1000, await read);
        Assert.Equal(inline, resumedInsideTheDelivery);

        async Task<int> ReadAndNote()
        {
            int n = await stream.ReadAsync(buffer).ConfigureAwait(false);
            // Inside Pump, on the pumping thread: the continuation ran inline, before the delivery returned.
            resumedInsideTheDelivery = pair.IsPumping && pair.PumpThread == Environment.CurrentManagedThreadId;
            return n;
        }
    }

    /// <summary>Two stacks whose output the test thread carries to the other side, one input burst per batch.</summary>
    private sealed class ManualPair : IDisposable
    {
        private readonly NetstackTunnel _a, _b;
        private readonly PacketBatch _batch = new(64, 1500);

        public ManualPair(TcpSettings tcp)
        {
            _a = new NetstackTunnel(new WgSharp.Netstack.Netstack(new NetstackOptions { Addresses = [AddressA], Tcp = tcp }), "a");
            _b = new NetstackTunnel(new WgSharp.Netstack.Netstack(new NetstackOptions { Addresses = [AddressB], Tcp = tcp }), "b");
        }

        public int PumpThread { get; private set; }

        public bool IsPumping { get; private set; }

        public (TcpConnection Client, TcpConnection Server) Connect()
        {
            var listener = _b.Stack.Tcp.Listen(Endpoint(AddressB, 80), backlog: 4);
            var client = _a.Stack.Tcp.Connect(Endpoint(AddressA, 40000), Endpoint(AddressB, 80));
            Pump();
            var server = listener.TryAccept() ?? throw new InvalidOperationException("no connection accepted");
            Assert.True(client.IsEstablished);
            return (client, server);
        }

        /// <summary>Carries packets both ways until neither stack has anything to send.</summary>
        public void Pump()
        {
            PumpThread = Environment.CurrentManagedThreadId;
            IsPumping = true;
            for (bool moved = true; moved;)
            {
                moved = Carry(_a, _b) | Carry(_b, _a);
            }
            IsPumping = false;
        }

        private bool Carry(NetstackTunnel from, NetstackTunnel to)
        {
            int n = from.Stack.TryReadOutput(_batch);
            if (n <= 0) return false;
            to.Write(_batch, null!, mayHold: false);
            return true;
        }

        private static UdpEndpoint Endpoint(IPNetwork address, int port) => UdpEndpoint.FromIPEndPoint(new IPEndPoint(address.BaseAddress, port));

        public void Dispose()
        {
            _a.Dispose();
            _b.Dispose();
            _batch.Dispose();
        }
    }
}
