using System.Net;
using WgSharp.Configuration;
using WgSharp.Control.Uapi;
using WgSharp.Keys;

namespace WgSharp.Tests.Uapi;

public class UapiFormatterTests
{
    private static Key KeyOf(byte fill) => new(Enumerable.Repeat(fill, 32).ToArray());

    private static DeviceStatus SampleStatus() => new()
    {
        InterfaceName = "wgsutest0",
        PrivateKey = KeyOf(0x11),
        ListenPort = 51820,
        FwMark = 0,
        Peers =
        [
            new PeerStatus
            {
                PublicKey = KeyOf(0x22),
                PresharedKey = KeyOf(0x33),
                Endpoint = new IPEndPoint(IPAddress.Parse("192.0.2.1"), 51821),
                PersistentKeepalive = 25,
                LastHandshake = DateTimeOffset.FromUnixTimeSeconds(1_700_000_000).AddTicks(1234567),
                RxBytes = 100,
                TxBytes = 200,
                AllowedIps = [new IpPrefix(IPAddress.Parse("10.0.0.0"), 24), new IpPrefix(IPAddress.Parse("fd00::"), 64)],
                Description = "office",
            },
            new PeerStatus { PublicKey = KeyOf(0x44) },
        ],
    };

    [Fact]
    public void GetReplyHasWireguardGoOrderAndFormat()
    {
        string expected =
            $"private_key={new string('1', 64)}\n" +
            "listen_port=51820\n" +
            $"public_key={new string('2', 64)}\n" +
            $"preshared_key={new string('3', 64)}\n" +
            "protocol_version=1\n" +
            "endpoint=192.0.2.1:51821\n" +
            "last_handshake_time_sec=1700000000\n" +
            "last_handshake_time_nsec=123456700\n" +
            "tx_bytes=200\n" +
            "rx_bytes=100\n" +
            "persistent_keepalive_interval=25\n" +
            "allowed_ip=10.0.0.0/24\n" +
            "allowed_ip=fd00::/64\n" +
            $"public_key={new string('4', 64)}\n" +
            $"preshared_key={new string('0', 64)}\n" + // wireguard-go always prints it
            "protocol_version=1\n" +
            "last_handshake_time_sec=0\n" +
            "last_handshake_time_nsec=0\n" +
            "tx_bytes=0\n" +
            "rx_bytes=0\n" +
            "persistent_keepalive_interval=0\n" +
            "errno=0\n\n";
        Assert.Equal(expected, UapiGetFormatter.FormatReply(SampleStatus()));
    }

    [Fact]
    public void AReplyWrittenThroughASmallBufferIsTheSameTextSentInPiecesAndLeavesTheBufferZeroed()
    {
        var one = SampleStatus();
        var many = new DeviceStatus
        {
            InterfaceName = one.InterfaceName, PrivateKey = one.PrivateKey, ListenPort = one.ListenPort,
            Peers = Enumerable.Range(0, 50).Select(_ => one.Peers[0]).ToList(),
        };
        var sink = new WriteCountingStream();
        using var writer = new UapiReplyWriter(sink, capacity: 300);
        UapiGetFormatter.WriteReply(many, extensions: false, writer);
        Assert.True(sink.Writes > 5, $"{sink.Writes} writes");
        Assert.Equal(UapiGetFormatter.FormatReply(many), System.Text.Encoding.UTF8.GetString(sink.ToArray()));
        var buffer = (WgSharp.Keys.SecretMemory)typeof(UapiReplyWriter).GetField("_memory", System.Reflection.BindingFlags.Instance | System.Reflection.BindingFlags.NonPublic)!.GetValue(writer)!;
        Assert.True(buffer.GetSpan().IndexOfAnyExcept((byte)0) < 0, "the reply buffer still holds what it sent");
    }

    private sealed class WriteCountingStream : MemoryStream
    {
        public int Writes { get; private set; }

        public override void Write(ReadOnlySpan<byte> buffer)
        {
            Writes++;
            base.Write(buffer);
        }
    }

    [Fact]
    public void UnsetDeviceValuesAreOmitted()
    {
        var status = new DeviceStatus { InterfaceName = "wgsutest0", PrivateKey = Key.Zero, FwMark = 0, ListenPort = 0, Debug = true, RTable = 3 };
        Assert.Equal("errno=0\n\n", UapiGetFormatter.FormatReply(status));
        var withMark = new DeviceStatus { InterfaceName = "wgsutest0", FwMark = 7 };
        Assert.Equal("fwmark=7\nerrno=0\n\n", UapiGetFormatter.FormatReply(withMark));
    }

    [Fact]
    public void ExtensionsOnlyInExtendedReply()
    {
        var status = new DeviceStatus
        {
            InterfaceName = "wgsutest0", Debug = true, RTable = 3,
            Peers = [new PeerStatus { PublicKey = KeyOf(0x44), Description = "line\nbreak" }],
        };
        string plain = UapiGetFormatter.FormatReply(status);
        Assert.DoesNotContain("debug", plain);
        Assert.DoesNotContain("rtable", plain);
        Assert.DoesNotContain("description", plain);
        string extended = UapiGetFormatter.FormatReply(status, extensions: true);
        Assert.StartsWith("debug=true\nrtable=3\npublic_key=", extended);
        Assert.Contains("\ndescription=line break\n", extended); // a newline cannot break the framing
    }

    [Fact]
    public void GetReplyRoundTripsThroughTheGetParser()
    {
        var original = SampleStatus();
        var parsed = UapiGetParser.Parse("wgsutest0", UapiGetFormatter.FormatReply(original, extensions: true));
        Assert.Equal(original.PrivateKey, parsed.PrivateKey);
        Assert.Equal(KeyGenerator.DerivePublicKey(original.PrivateKey!.Value), parsed.PublicKey);
        Assert.Equal(original.ListenPort, parsed.ListenPort);
        Assert.Equal(original.Peers.Count, parsed.Peers.Count);
        for (int i = 0; i < original.Peers.Count; i++)
        {
            var (a, b) = (original.Peers[i], parsed.Peers[i]);
            Assert.Equal(a.PublicKey, b.PublicKey);
            Assert.Equal(a.PresharedKey, b.PresharedKey);
            Assert.Equal(a.Endpoint, b.Endpoint);
            Assert.Equal(a.PersistentKeepalive, b.PersistentKeepalive);
            Assert.Equal(a.LastHandshake, b.LastHandshake);
            Assert.Equal(a.RxBytes, b.RxBytes);
            Assert.Equal(a.TxBytes, b.TxBytes);
            Assert.Equal(a.AllowedIps, b.AllowedIps);
            Assert.Equal(a.Description, b.Description);
        }
        // Plain get=1 carries no description.
        Assert.Null(UapiGetParser.Parse("wgsutest0", UapiGetFormatter.FormatReply(original)).Peers[0].Description);
    }

    [Fact]
    public void GetParserSkipsUnknownKeysLikeWg()
    {
        var status = UapiGetParser.Parse("x", $"listen_port=5\nfuture_key=1\npublic_key={new string('a', 64)}\nfuture_peer_key=a=b\nerrno=0\n\n");
        Assert.Equal((ushort)5, status.ListenPort);
        Assert.Single(status.Peers);
    }

    [Theory]
    [InlineData("listen_port=70000\nerrno=0\n")]
    [InlineData("private_key=12\nerrno=0\n")]
    [InlineData("listen_port=5\n")] // no errno line
    [InlineData("garbage\nerrno=0\n")]
    [InlineData("errno=x\n")]
    public void GetParserRefusesMalformedReplies(string reply)
    {
        var ex = Assert.Throws<UapiProtocolException>(() => UapiGetParser.Parse("x", reply));
        Assert.Equal(Errno.EPROTO, ex.Errno);
    }

    [Fact]
    public void GetParserReportsErrno()
    {
        var ex = Assert.Throws<UapiProtocolException>(() => UapiGetParser.Parse("x", "errno=-22\n\n"));
        Assert.Equal(Errno.EINVAL, ex.Errno);
    }

    [Fact]
    public void SetFormatterRoundTripsThroughTheSetParser()
    {
        var update = new DeviceUpdate
        {
            PrivateKey = KeyOf(1), ListenPort = 0, FwMark = 9, ReplacePeers = true,
            RemoveAllPeers = true, Debug = false, RTable = 4,
        };
        var p1 = new PeerUpdate(KeyOf(2))
        {
            UpdateOnly = true, PresharedKey = Key.Zero, Endpoint = new IPEndPoint(IPAddress.Parse("fd00::5"), 9),
            PersistentKeepalive = 0, ReplaceAllowedIps = true, Description = "x = y", ProtocolVersion = 1,
        };
        p1.AddAllowedIps.Add(new IpPrefix(IPAddress.Parse("10.0.0.0"), 8));
        p1.RemoveAllowedIps.Add(new IpPrefix(IPAddress.Parse("fd00::"), 8));
        update.Peers.Add(p1);
        update.Peers.Add(new PeerUpdate(KeyOf(3)) { Remove = true });

        string request = UapiSetFormatter.FormatRequest(update);
        Assert.StartsWith("set=1\n", request);
        Assert.EndsWith("\n\n", request);
        var result = UapiSetParser.Parse(request["set=1\n".Length..], out var parsed);
        Assert.True(result.IsOk, result.Message);

        Assert.Equal(update.PrivateKey, parsed!.PrivateKey);
        Assert.Equal(update.ListenPort, parsed.ListenPort);
        Assert.Equal(update.FwMark, parsed.FwMark);
        Assert.Equal(update.ReplacePeers, parsed.ReplacePeers);
        Assert.Equal(update.RemoveAllPeers, parsed.RemoveAllPeers);
        Assert.Equal(update.Debug, parsed.Debug);
        Assert.Equal(update.RTable, parsed.RTable);
        Assert.Equal(2, parsed.Peers.Count);
        var q1 = parsed.Peers[0];
        Assert.Equal(p1.PublicKey, q1.PublicKey);
        Assert.Equal(p1.UpdateOnly, q1.UpdateOnly);
        Assert.Equal(p1.PresharedKey, q1.PresharedKey);
        Assert.Equal(p1.Endpoint, q1.Endpoint);
        Assert.Equal(p1.PersistentKeepalive, q1.PersistentKeepalive);
        Assert.Equal(p1.ReplaceAllowedIps, q1.ReplaceAllowedIps);
        Assert.Equal(p1.Description, q1.Description);
        Assert.Equal(p1.ProtocolVersion, q1.ProtocolVersion);
        Assert.Equal(p1.AddAllowedIps, q1.AddAllowedIps);
        Assert.Equal(p1.RemoveAllowedIps, q1.RemoveAllowedIps);
        Assert.True(parsed.Peers[1].Remove);
    }

    [Fact]
    public void PlainUpdateUsesOnlyStandardKeys()
    {
        var update = new DeviceUpdate { ListenPort = 1 };
        update.Peers.Add(new PeerUpdate(KeyOf(2)) { PersistentKeepalive = 5 });
        Assert.Equal($"set=1\nlisten_port=1\npublic_key={KeyOf(2).ToHex()}\npersistent_keepalive_interval=5\n\n",
            UapiSetFormatter.FormatRequest(update));
    }

    [Fact]
    public void SetFormatterRefusesUnframeableDescription()
    {
        var update = new DeviceUpdate();
        update.Peers.Add(new PeerUpdate(KeyOf(2)) { Description = "a\nlisten_port=1" });
        Assert.Throws<ArgumentException>(() => UapiSetFormatter.FormatRequest(update));
    }

    [Theory]
    [InlineData(0, "errno=0\n\n")]
    [InlineData(22, "errno=-22\n\n")]
    [InlineData(-98, "errno=-98\n\n")]
    public void ErrnoIsWrittenNegative(int errno, string expected) =>
        Assert.Equal(expected, UapiProtocol.FormatErrnoLine(errno));
}
