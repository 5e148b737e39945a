using WgSharp.Cli.Daemon;
using System.Net;
using WgSharp.Device;
using WgSharp.Protocol;

namespace WgSharp.Tests.Device.InMemory;

/// <summary>
/// Device behaviour that once needed two namespaces only for plumbing, on the in-memory seams: handshake on
/// demand with staging, cryptokey routing both ways, roaming, rekey, giving up, keepalives.
/// </summary>
public class InMemoryDeviceTests
{
    private static readonly TimeSpan HangGuard = TimeSpan.FromSeconds(30);
    private static readonly IPAddress InnerA = IPAddress.Parse(InMemoryPair.InnerA), InnerB = IPAddress.Parse(InMemoryPair.InnerB);

    private static byte[] Packet(IPAddress from, IPAddress to, long sequence, int stream = 1) =>
        TestPackets.Tcp(from, to, stream, sequence, 200);

    [Fact]
    public void PacketsWithoutASessionAreStagedThenDeliveredInOrderOnceTheHandshakeIsDone()
    {
        using var pair = new InMemoryPair();
        Assert.Null(pair.A.PeerFor(pair.B).Protocol.Keypairs.Current);
        pair.A.Tunnel.Inject(Enumerable.Range(0, 10).Select(i => Packet(InnerA, InnerB, i)).ToArray());
        for (int i = 0; i < 10; i++)
            Assert.Equal(i, TestPackets.SequenceOf(pair.B.Tunnel.NextWritten(HangGuard)));
        Assert.NotNull(pair.A.PeerFor(pair.B).Protocol.Keypairs.Current);
        Assert.Contains("Sending handshake initiation", pair.A.Log.Text);
        Assert.Equal(0, pair.A.Device.Counters[Counter.StagedDropped]);

        // And back: B answers over the session A started.
        pair.B.Tunnel.Inject(Packet(InnerB, InnerA, 0));
        Assert.Equal(InnerB, TestPackets.SourceOf(pair.A.Tunnel.NextWritten(HangGuard)));
    }

    [Fact]
    public void WhatTheTunnelHoldsBackForTheReaderIsWrittenBeforeTheReaderWaitsAgain()
    {
        // B's reader delivers everything itself (one crypto thread), so it may let the tunnel hold a run back for
        // the rest of a sender's burst; with nothing more queued it must write it before it blocks.
        using var pair = new InMemoryPair(optionsB: new DeviceOptions { Debug = true, CryptoThreads = 1 });
        pair.B.Tunnel.HoldsBackWhenAllowed = true;
        pair.A.Tunnel.Inject(Packet(InnerA, InnerB, 0));
        Assert.Equal(0, TestPackets.SequenceOf(pair.B.Tunnel.NextWritten(HangGuard)));
        pair.A.Tunnel.Inject(Enumerable.Range(1, 40).Select(i => Packet(InnerA, InnerB, i)).ToArray());
        for (int i = 1; i <= 40; i++)
            Assert.Equal(i, TestPackets.SequenceOf(pair.B.Tunnel.NextWritten(HangGuard)));
    }

    [Fact]
    public void APacketFromASourceOutsideThePeersAllowedIpsIsDroppedAndCounted()
    {
        using var pair = new InMemoryPair();
        pair.B.Tunnel.Inject(Packet(InnerB, InnerA, 0));
        pair.A.Tunnel.NextWritten(HangGuard);

        // B sends from an address A does not allow for B (B's own routing lets it out).
        pair.B.SetPeer(pair.A, "10.0.0.0/24");
        pair.B.Tunnel.Inject(Packet(IPAddress.Parse("10.201.0.5"), InnerA, 1), Packet(InnerB, InnerA, 2));
        Assert.Equal(2, TestPackets.SequenceOf(pair.A.Tunnel.NextWritten(HangGuard)));
        Assert.Equal(1, pair.A.Device.Counters[Counter.UnallowedSource]);
        Assert.Contains($"Packet has unallowed src IP from {Peer.FormatLogName(pair.B.PublicKey)}", pair.A.Log.Text);
        Assert.Empty(pair.A.Tunnel.Written);
    }

    [Fact]
    public void InOneBatchPacketsToNoPeerAndMalformedOnesAreCountedWhileTheOthersGo()
    {
        using var pair = new InMemoryPair();
        var nowhere = IPAddress.Parse("10.9.9.9");
        pair.A.Tunnel.Inject(Packet(InnerA, InnerB, 0), [0x45, 0, 0], Packet(InnerA, nowhere, 1), Packet(InnerA, nowhere, 2), Packet(InnerA, InnerB, 3));
        Assert.Equal(0, TestPackets.SequenceOf(pair.B.Tunnel.NextWritten(HangGuard)));
        Assert.Equal(3, TestPackets.SequenceOf(pair.B.Tunnel.NextWritten(HangGuard)));
        Assert.Equal(2, pair.A.Device.Counters[Counter.NoRoute]);
        Assert.Equal(1, pair.A.Device.Counters[Counter.Malformed]);
    }

    [Fact]
    public void EndpointRoamsToTheSourceOfTheLastAuthenticatedPacket()
    {
        // B does not know where A is: it learns it from A's handshake, and follows A when A moves.
        using var pair = new InMemoryPair(endpointOnB: false);
        pair.A.Tunnel.Inject(Packet(InnerA, InnerB, 0));
        pair.B.Tunnel.NextWritten(HangGuard);
        Assert.Equal(pair.A.Endpoint, pair.B.PeerFor(pair.A).Endpoint);

        pair.A.Host.MoveTo("198.51.100.7");
        pair.A.Tunnel.Inject(Packet(InnerA, InnerB, 1));
        pair.B.Tunnel.NextWritten(HangGuard);
        Assert.Equal("198.51.100.7", pair.B.PeerFor(pair.A).Endpoint.Address.ToString());
        pair.B.Tunnel.Inject(Packet(InnerB, InnerA, 0));
        pair.A.Tunnel.NextWritten(HangGuard);

        // And a new source port too (a listen-port change opens a new transport).
        pair.A.Apply(new() { ListenPort = 40999 });
        pair.A.Tunnel.Inject(Packet(InnerA, InnerB, 2));
        pair.B.Tunnel.NextWritten(HangGuard);
        Assert.Equal("198.51.100.7:40999", pair.B.PeerFor(pair.A).Endpoint.ToString());
    }

    [Fact]
    public void TheInitiatorRekeysAfterRekeyAfterTimeAndTrafficContinuesOnTheNewSession()
    {
        var scaled = new DeviceOptions { Debug = true, TimeProvider = new ScaledTimeProvider(60) }; // REKEY_AFTER_TIME (120 s) in 2 s
        using var pair = new InMemoryPair(scaled, scaled);
        pair.A.Tunnel.Inject(Packet(InnerA, InnerB, 0));
        pair.B.Tunnel.NextWritten(HangGuard);
        var first = pair.A.PeerFor(pair.B).Protocol.Keypairs.Current!;

        long sequence = 1;
        Assert.True(DaemonWait.Until(() =>
        {
            pair.A.Tunnel.Inject(Packet(InnerA, InnerB, sequence));
            Assert.Equal(sequence++, TestPackets.SequenceOf(pair.B.Tunnel.NextWritten(HangGuard)));
            return !ReferenceEquals(first, pair.A.PeerFor(pair.B).Protocol.Keypairs.Current);
        }, HangGuard), pair.A.Log.Text);
        pair.B.Tunnel.Inject(Packet(InnerB, InnerA, 0));
        pair.A.Tunnel.NextWritten(HangGuard);
        Assert.True(pair.A.Log.Matching("Sending handshake initiation").Count >= 2);
    }

    [Fact]
    public void WithoutAnswerTheHandshakeIsRetriedThenGivenUpAndStagedPacketsAreDropped()
    {
        var scaled = new DeviceOptions { Debug = true, TimeProvider = new ScaledTimeProvider(60) }; // REKEY_ATTEMPT_TIME (90 s) in 1.5 s
        using var pair = new InMemoryPair(scaled);
        pair.Network.Filter = (_, _, _) => false; // the network swallows everything
        pair.A.Tunnel.Inject(Packet(InnerA, InnerB, 0), Packet(InnerA, InnerB, 1));
        // The staged packets are counted as dropped before the give-up is logged: wait for the log line.
        var givenUp = $"Handshake for {Peer.FormatLogName(pair.B.PublicKey)} did not complete after {ProtocolConstants.MaxHandshakeAttempts + 2} attempts, giving up";
        Assert.True(DaemonWait.Until(() => pair.A.Log.Text.Contains(givenUp, StringComparison.Ordinal), HangGuard), pair.A.Log.Text);
        Assert.Equal(2, pair.A.Device.Counters[Counter.StagedDropped]);
        Assert.True(pair.A.Log.Matching("retrying (try").Count >= ProtocolConstantsCheck.MinRetriesBeforeGivingUp);
    }

    [Fact]
    public void PersistentKeepaliveKeepsAnIdleTunnelAlive()
    {
        var scaled = new DeviceOptions { Debug = true, TimeProvider = new ScaledTimeProvider(50) }; // a 25 s interval passes every 0.5 s
        using var pair = new InMemoryPair(scaled);
        pair.A.SetPeer(pair.B, InMemoryPair.InnerB + "/32", persistentKeepalive: 25);
        Assert.True(DaemonWait.Until(() => pair.B.Log.Matching("Receiving keepalive packet").Count >= 3, HangGuard), pair.B.Log.Text);
    }

    [Fact]
    public void TheSendLoopSurvivesAPacketWhoseSendingThrows() =>
        AssertTheSendLoopSurvivesOneFailure(pair =>
        {
            // Sending the next transport message throws (a bug anywhere below the loop would look like this).
            int armed = 1;
            pair.Network.Filter = (from, _, datagram) =>
                from != pair.A.Endpoint || datagram[0] != (byte)MessageType.TransportData || Interlocked.Exchange(ref armed, 0) == 0
                    ? true
                    : throw new InvalidOperationException("injected failure");
        });

    [Fact]
    public void TheSendLoopSurvivesATunnelReadThatThrows() =>
        // Reading the next batch throws (e.g. cutting a TCP super-packet into segments fails): that batch is lost, nothing more.
        AssertTheSendLoopSurvivesOneFailure(pair => pair.A.Tunnel.FailNextRead(new InvalidOperationException("injected failure")));

    /// <summary>With a session up, <paramref name="armOneFailure"/> makes A's next send fail: counted and logged, and the packet after it still arrives.</summary>
    private static void AssertTheSendLoopSurvivesOneFailure(Action<InMemoryPair> armOneFailure)
    {
        using var pair = new InMemoryPair();
        pair.A.Tunnel.Inject(Packet(InnerA, InnerB, 0));
        pair.B.Tunnel.NextWritten(HangGuard);
        long errorsBefore = pair.A.Device.Counters[Counter.SendErrors];

        armOneFailure(pair);
        pair.A.Tunnel.Inject(Packet(InnerA, InnerB, 1));
        pair.A.Tunnel.Inject(Packet(InnerA, InnerB, 2));
        Assert.Equal(2, TestPackets.SequenceOf(pair.B.Tunnel.NextWritten(HangGuard)));
        Assert.Equal(errorsBefore + 1, pair.A.Device.Counters[Counter.SendErrors]);
        Assert.Contains("Dropped an outbound packet that could not be processed: InvalidOperationException", pair.A.Log.Text);
    }

    [Fact]
    public void TheReceiveLoopSurvivesAReceiveThatThrows()
    {
        using var pair = new InMemoryPair();
        pair.A.Tunnel.Inject(Packet(InnerA, InnerB, 0));
        Assert.Equal(0, TestPackets.SequenceOf(pair.B.Tunnel.NextWritten(HangGuard)));

        // B's reader is waiting: its receive after the next one fails.
        ((InMemoryTransport)pair.B.Device.Transport).FailNextReceive(new InvalidOperationException("injected receive failure"));
        pair.A.Tunnel.Inject(Packet(InnerA, InnerB, 1));
        Assert.Equal(1, TestPackets.SequenceOf(pair.B.Tunnel.NextWritten(HangGuard)));
        pair.A.Tunnel.Inject(Packet(InnerA, InnerB, 2));
        Assert.Equal(2, TestPackets.SequenceOf(pair.B.Tunnel.NextWritten(HangGuard)));
        Assert.Contains("Receiving datagrams failed, retrying: injected receive failure", pair.B.Log.Text);
    }

    [Fact]
    public void ADeletedTunnelStopsTheDeviceAndReportsIt()
    {
        using var pair = new InMemoryPair();
        using var gone = new ManualResetEventSlim();
        pair.A.Device.InterfaceGone += gone.Set;
        pair.A.Tunnel.Remove();
        Assert.True(gone.Wait(HangGuard));
    }
}
