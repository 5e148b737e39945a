using System.Text;
using WgSharp.Cli.Wg;
using WgSharp.Cli.Ifconfig;
using WgSharp.Control.Uapi;
using WgSharp.Device;
using WgSharp.Linux;

namespace WgSharp.Tests.Robustness;

/// <summary>
/// The new fuzz targets' seeds are valid inputs that reach deep into their parsers (a seed the parser refuses at
/// its first byte would leave the fuzzer to rediscover the format), and the metrics and UAPI targets really talk
/// to their servers.
/// </summary>
public sealed class FuzzSeedsReachTests
{
    private static byte[] Seed(string target, string name) => FuzzSeeds.All().Single(s => s.Target == target && s.Name == name).Bytes;

    [Fact]
    public void TextSeedsParseWithoutAnError()
    {
        var status = UapiGetParser.Parse("wg0", Encoding.UTF8.GetString(Seed("getreply", "full")));
        Assert.Single(status.Peers);
        Assert.Equal(2, status.Peers[0].AllowedIps.Count);
        Assert.False(HostnameIfReader.Parse("/etc/hostname.wg0", "wg0", Encoding.UTF8.GetString(Seed("hostnameif", "typical")), _ => System.Net.IPAddress.Loopback).HasErrors);
        Assert.Single(WgConfigParser.Parse(Encoding.UTF8.GetString(Seed("wgconf", "setconf").AsSpan(1)), append: false).Peers);
    }

    [Theory]
    [InlineData("tcp4-session")]
    [InlineData("tcp6-session")]
    public void TcpSeedsCompleteAHandshakeAndAreAcceptedInTheWindow(string name)
    {
        // The relative acknowledgments reach the established states despite the stack's random ISN: the connection is
        // accepted and none of the seed's segments is out of the window or answered with a reset.
        var counters = WgSharp.Tests.Robustness.FuzzNetstack.RunAndCount(Seed("netstack", name));
        Assert.Equal(1, counters[WgSharp.Netstack.NetstackCounter.TcpConnectionsAccepted]);
        Assert.Equal(0, counters[WgSharp.Netstack.NetstackCounter.TcpOutOfWindow]);
        Assert.Equal(0, counters[WgSharp.Netstack.NetstackCounter.TcpResetsSent]);
        Assert.Equal(0, counters[WgSharp.Netstack.NetstackCounter.TcpChecksumFailed]);
    }

    [Fact]
    public void PacketSeedsCoalesceAndSegment()
    {
        var seed = Seed("inner", "tcp4-flow");
        int superPackets = 0;
        var coalescer = new TcpCoalescer((ReadOnlySpan<byte> packet, in VirtioNetHeader header) => { if (header.IsGso) superPackets++; return true; });
        var counters = new DeviceCounters();
        for (int at = 0; at + 2 <= seed.Length;)
        {
            int length = (seed[at] << 8) | seed[at + 1];
            coalescer.Add(seed.AsSpan(at + 2, length), counters);
            at += 2 + length;
        }
        coalescer.Flush(counters);
        Assert.Equal(1, superPackets);

        var tun = Seed("tun", "gso-tcp4");
        var header = VirtioNetHeader.Read(tun);
        Assert.True(TcpSegmenter.TryPlan(tun.AsSpan(VirtioNetHeader.Size), header, out _, out int segments));
        Assert.Equal(3, segments);
    }

    [Fact]
    public void SocketTargetsGetAnswers()
    {
        // Both throw when the server logs an error or never answers; a valid scrape and get must simply pass.
        FuzzTargets.Run("metrics", Seed("metrics", "scrape"));
        FuzzTargets.Run("uapiframe", Seed("uapiframe", "set-then-get"));
    }
}
