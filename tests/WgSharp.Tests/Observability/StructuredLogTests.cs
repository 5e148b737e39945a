using System.Net;
using Microsoft.Extensions.Logging;
using WgSharp.Cli.Daemon;
using WgSharp.Configuration;
using WgSharp.Device;
using WgSharp.Keys;
using WgSharp.Tests.Device;
using WgSharp.Tests.Device.InMemory;

namespace WgSharp.Tests.Observability;

/// <summary>
/// Log entries carry the interface and the peer as named values (not only inside the text), the text operators
/// read is what it was, the manual's debug messages are at Debug, and no field ever holds a whole key.
/// </summary>
public class StructuredLogTests
{
    private static readonly TimeSpan HangGuard = TimeSpan.FromSeconds(30);

    private static void Handshake(InMemoryPair pair)
    {
        pair.A.Tunnel.Inject(TestPackets.Tcp(IPAddress.Parse(InMemoryPair.InnerA), IPAddress.Parse(InMemoryPair.InnerB), 1, 0, 200));
        pair.B.Tunnel.NextWritten(HangGuard);
    }

    private static CapturedEntry Single(CapturingLogger log, string fragment) =>
        Assert.Single(log.Entries, e => e.Line.Contains(fragment, StringComparison.Ordinal));

    private static void AssertNoWholeKey(IEnumerable<CapturedEntry> entries, params Key[] keys)
    {
        foreach (var entry in entries)
            foreach (var value in entry.Fields.Values.Select(v => v?.ToString() ?? "").Append(entry.Line))
                foreach (var key in keys)
                    Assert.DoesNotContain(key.ToBase64(), value, StringComparison.Ordinal);
    }

    [Fact]
    public void HandshakeDebugMessagesCarryInterfaceAndPeerAsNamedValuesAtDebug()
    {
        using var pair = new InMemoryPair();
        Handshake(pair);
        string peerB = Peer.FormatLogName(pair.B.PublicKey), peerA = Peer.FormatLogName(pair.A.PublicKey);

        var sent = Single(pair.A.Log, "Sending handshake initiation");
        Assert.Equal(LogLevel.Debug, sent.Level);
        Assert.Equal($"mem0: Sending handshake initiation to {peerB}", sent.Line); // the text operators read, unchanged
        Assert.Equal("mem0", sent.Field("Interface"));
        Assert.Equal(peerB, sent.Field("Peer"));

        var received = Single(pair.B.Log, "Receiving handshake initiation");
        Assert.Equal(LogLevel.Debug, received.Level);
        Assert.Equal(peerA, received.Field("Peer"));

        // Every line the devices wrote here is one of the manual's debug messages: at Debug, with the interface,
        // and a line naming a peer has it as a field.
        foreach (var entry in pair.A.Log.Entries.Concat(pair.B.Log.Entries))
        {
            Assert.Equal(LogLevel.Debug, entry.Level);
            Assert.Equal("mem0", entry.Field("Interface"));
            if (entry.Line.Contains("peer(", StringComparison.Ordinal))
                Assert.Contains(entry.Field("Peer") ?? "(no Peer field)", entry.Line);
        }
        AssertNoWholeKey(pair.A.Log.Entries.Concat(pair.B.Log.Entries), pair.A.PublicKey, pair.B.PublicKey, pair.A.PrivateKey, pair.B.PrivateKey);
    }

    [Fact]
    public void WithDebugOffTheDeviceLogsNothingDuringAHandshake()
    {
        var quiet = new DeviceOptions { Debug = false };
        using var pair = new InMemoryPair(quiet, quiet);
        Handshake(pair);
        Assert.Empty(pair.A.Log.Entries);
        Assert.Empty(pair.B.Log.Entries);
    }

    [Fact]
    public void AnUnallowedSourceNamesThePeerAsAField()
    {
        using var pair = new InMemoryPair();
        Handshake(pair);
        pair.B.SetPeer(pair.A, "10.0.0.0/24");
        pair.B.Tunnel.Inject(TestPackets.Tcp(IPAddress.Parse("10.0.0.77"), IPAddress.Parse(InMemoryPair.InnerA), 1, 1, 200));
        // The drop is counted before it is logged: wait for the log line, then both are there.
        Assert.True(SpinWait.SpinUntil(() => pair.A.Log.Text.Contains("unallowed src IP", StringComparison.Ordinal), HangGuard));
        Assert.Equal(1, pair.A.Device.Counters[Counter.UnallowedSource]);
        var entry = Single(pair.A.Log, "unallowed src IP");
        Assert.Equal(LogLevel.Debug, entry.Level);
        Assert.Equal(Peer.FormatLogName(pair.B.PublicKey), entry.Field("Peer"));
    }

    [Fact]
    public void AConfigurationChangeLogsInterfaceAndPeerAsFieldsAtInformationAndNoKey()
    {
        using var pair = new InMemoryPair();
        var log = new CapturingLogger();
        var control = new ConfigurationLog(pair.A.Device, log);
        var psk = KeyGenerator.GeneratePrivateKey();
        var update = new DeviceUpdate { ListenPort = 0 };
        update.Peers.Add(new PeerUpdate(pair.B.PublicKey) { PersistentKeepalive = 25, PresharedKey = psk });
        Assert.True(control.Apply(update).IsOk);

        var peerLine = Single(log, "persistent keepalive 25");
        Assert.Equal(LogLevel.Information, peerLine.Level);
        Assert.Equal("mem0", peerLine.Field("Interface"));
        Assert.Equal(Peer.FormatLogName(pair.B.PublicKey), peerLine.Field("Peer"));
        var interfaceLine = Single(log, "listen port");
        Assert.Equal("mem0", interfaceLine.Field("Interface"));
        AssertNoWholeKey(log.Entries, pair.B.PublicKey, psk);
    }

    [Fact]
    public void AnEndpointThatFollowsANewAddressIsLoggedWithInterfaceAndPeerFields()
    {
        using var pair = new InMemoryPair();
        var peer = pair.A.PeerFor(pair.B);
        peer.EndpointName = new EndpointName("b.test", 51820);
        var log = new CapturingLogger();
        string answer = "198.51.100.1";
        using var resolver = new EndpointResolver(pair.A.Device, log, _ => [IPAddress.Parse(answer)], TimeSpan.FromMilliseconds(1));
        resolver.CheckAll(); // the first answer is only recorded (nothing failed, nothing changed)
        answer = "198.51.100.2";
        Assert.True(SpinWait.SpinUntil(() => { resolver.CheckAll(); return log.Entries.Count > 0; }, HangGuard));

        var entry = Single(log, "now resolves to 198.51.100.2:51820");
        Assert.Equal(LogLevel.Information, entry.Level);
        Assert.Equal("mem0", entry.Field("Interface"));
        Assert.Equal(Peer.FormatLogName(pair.B.PublicKey), entry.Field("Peer"));
    }
}
