using System.Net;
using WgSharp.Device.IO;
using WgSharp.Netstack;
using WgSharp.Netstack.Tcp;
using WgSharp.Tests.Netstack.Tcp;

namespace WgSharp.Tests.Netstack;

/// <summary>
/// Input bursts: while a device thread delivers one received batch, output requests and socket wake-ups wait for the
/// batch's end (one ACK and one reader wake-up per batch instead of per segment), and a writer that may hold them
/// keeps them until it flushes. Also the wake-up and window-update rules of a TCP connection that keep per-packet
/// work down.
/// </summary>
public sealed class NetstackInputBurstTests : IDisposable
{
    private readonly WgSharp.Netstack.Netstack _stack = new(new NetstackOptions { Addresses = [IPNetwork.Parse("10.1.0.2/32")] });
    private readonly PacketBatch _batch = new(64, 1500);

    public void Dispose()
    {
        _stack.Dispose();
        _batch.Dispose();
    }

    /// <summary>Sends one 100-byte packet per request; counts its burst-end wake-ups.</summary>
    private sealed class OneShotSocket : StackSocket
    {
        public int Pending;
        public int BurstEnds;

        public override int Produce(Span<byte> packet, long nowMs)
        {
            if (Pending == 0) return 0;
            Pending--;
            packet[..100].Clear();
            packet[0] = 0x45;
            return 100;
        }

        public override void OnBurstEnd() => BurstEnds++;
    }

    [Fact]
    public void AnOutputRequestDuringABurstIsQueuedAtItsEnd()
    {
        var socket = new OneShotSocket { Pending = 1 };
        _stack.BeginInputBurst(packets: 10);
        _stack.RequestOutput(socket);
        _stack.RequestOutput(socket);
        Assert.Equal(0, socket.OutputQueued); // the tunnel reader is not woken in the middle of the batch

        Assert.False(_stack.EndInputBurst(mayHold: false));

        Assert.Equal(1, socket.OutputQueued);
        Assert.Equal(1, _stack.ReadOutput(_batch));
    }

    [Fact]
    public void AHeldBurstWaitsForTheFlush()
    {
        var socket = new OneShotSocket { Pending = 1 };
        _stack.BeginInputBurst(packets: 10);
        _stack.RequestOutput(socket);
        Assert.True(_stack.EndInputBurst(mayHold: true));
        Assert.Equal(0, socket.OutputQueued);

        // Between bursts nothing is deferred: a request from this thread now goes out at once.
        var other = new OneShotSocket { Pending = 1 };
        _stack.RequestOutput(other);
        Assert.Equal(1, other.OutputQueued);

        _stack.FlushInputBurst();
        Assert.Equal(1, socket.OutputQueued);
        Assert.Equal(2, _stack.ReadOutput(_batch));
    }

    [Fact]
    public void HeldBurstsAreBounded()
    {
        var socket = new OneShotSocket { Pending = 1 };
        _stack.BeginInputBurst(packets: 64);
        _stack.RequestOutput(socket);
        Assert.True(_stack.EndInputBurst(mayHold: true));
        _stack.BeginInputBurst(packets: 64); // 128 packets since the last flush: no more holding
        Assert.False(_stack.EndInputBurst(mayHold: true));
        Assert.Equal(1, socket.OutputQueued);
    }

    [Fact]
    public void ABurstWithNothingDeferredIsNotHeld()
    {
        _stack.BeginInputBurst(packets: 1);
        Assert.False(_stack.EndInputBurst(mayHold: true));
    }

    [Fact]
    public void RequestsFromAnotherThreadAreNotDeferred()
    {
        var socket = new OneShotSocket { Pending = 1 };
        _stack.BeginInputBurst(packets: 1);
        var other = new Thread(() => _stack.RequestOutput(socket));
        other.Start();
        other.Join();
        Assert.Equal(1, socket.OutputQueued);
        _stack.EndInputBurst(mayHold: false);
    }

    [Fact]
    public void DeferredWakeUpsRunOncePerSocketAtTheBurstsEnd()
    {
        var socket = new OneShotSocket();
        INetstackHost host = _stack;
        Assert.False(host.DeferWake(socket)); // no burst: the caller wakes at once

        _stack.BeginInputBurst(packets: 3);
        Assert.True(host.DeferWake(socket));
        Assert.True(host.DeferWake(socket));
        Assert.Equal(0, socket.BurstEnds);
        _stack.EndInputBurst(mayHold: false);

        Assert.Equal(1, socket.BurstEnds);
    }

    [Fact]
    public void AHeldBurstForAnotherStackIsFlushedWhenThisOneBegins()
    {
        using var other = new WgSharp.Netstack.Netstack(new NetstackOptions { Addresses = [IPNetwork.Parse("10.1.0.3/32")] });
        var socket = new OneShotSocket { Pending = 1 };
        other.BeginInputBurst(packets: 1);
        other.RequestOutput(socket);
        Assert.True(other.EndInputBurst(mayHold: true));

        _stack.BeginInputBurst(packets: 1);
        Assert.Equal(1, socket.OutputQueued);
        _stack.EndInputBurst(mayHold: false);
    }

    // ---- TCP's side of it ----

    [Fact]
    public void ReadingSendsAWindowUpdateOnceThePeersWindowIsSmall()
    {
        var settings = new TcpSettings { ReceiveBufferSize = 64 * 1024 };
        var wire = new TcpWire(settings);
        var (client, server, _) = wire.Connect();
        var data = new byte[200_000];
        int sent = client.Send(data);
        wire.Pump();
        wire.Advance(100);
        Assert.True(client.SendWindow < 16 * 1024, $"window {client.SendWindow}"); // the receiver's buffer is (nearly) full

        int fromServer = 0;
        wire.Tap = (fromA, _) => { if (!fromA) fromServer++; };
        var buffer = new byte[64 * 1024];
        Assert.True(server.Receive(buffer) > 0);
        wire.Pump();

        Assert.True(fromServer > 0);
        Assert.True(sent > 0);
    }
}
