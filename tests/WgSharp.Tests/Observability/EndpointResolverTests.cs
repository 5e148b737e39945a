using System.Net;
using WgSharp.Configuration;
using WgSharp.Cli.Ifconfig;
using WgSharp.Control.Uapi;
using WgSharp.Device;
using WgSharp.Device.IO;
using WgSharp.Tests.Device;
using WgSharp.Tests.Device.InMemory;

namespace WgSharp.Tests.Observability;

/// <summary>The resolver's rules on the in-memory seams, and how the name travels from the command line to the daemon.</summary>
public class EndpointResolverTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(10);

    private static bool Eventually(Func<bool> condition, TimeSpan timeout)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (clock.Elapsed < timeout) { if (condition()) return true; Thread.Sleep(20); }
        return condition();
    }

    [Fact]
    public void ANameWhoseAddressChangesMovesTheEndpointOnTheInterval()
    {
        using var pair = new InMemoryPair();
        var peer = pair.A.PeerFor(pair.B);
        peer.EndpointName = new EndpointName("b.test", 51820);
        IPAddress answer = IPAddress.Parse("198.51.100.1");
        int lookups = 0;
        using var resolver = new EndpointResolver(pair.A.Device, new CapturingLogger(),
            host => { Interlocked.Increment(ref lookups); return host == "b.test" ? [Volatile.Read(ref answer)] : []; }, TimeSpan.FromMilliseconds(50));
        resolver.Start();
        Assert.True(Eventually(() => Volatile.Read(ref lookups) >= 2, Wait));
        Volatile.Write(ref answer, IPAddress.Parse("198.51.100.2"));
        Assert.True(Eventually(() => peer.Endpoint == UdpEndpoint.FromIPEndPoint(IPEndPoint.Parse("198.51.100.2:51820")), Wait), peer.Endpoint.ToString());
    }

    [Fact]
    public void AnEndpointThatRoamedStaysWhileTheNameKeepsItsAddress()
    {
        using var pair = new InMemoryPair();
        var peer = pair.A.PeerFor(pair.B);
        peer.EndpointName = new EndpointName("b.test", 51820);
        var roamed = UdpEndpoint.FromIPEndPoint(IPEndPoint.Parse("203.0.113.9:4444"));
        peer.SetEndpoint(roamed); // as an authenticated packet from a new address does
        int lookups = 0;
        using var resolver = new EndpointResolver(pair.A.Device, new CapturingLogger(),
            _ => { Interlocked.Increment(ref lookups); return [IPAddress.Parse("198.51.100.1")]; }, TimeSpan.FromMilliseconds(20));
        resolver.Start();
        Assert.True(Eventually(() => Volatile.Read(ref lookups) >= 5, Wait));
        Assert.Equal(roamed, peer.Endpoint);
    }

    [Fact]
    public void WgendpointWithANameKeepsItAndAnAddressForgetsIt()
    {
        Assert.True(IfconfigParser.TryParse("wg7", ["wgpeer", TestKeysBase64(), "wgendpoint", "b.test", "51820"], out var named, out _,
            _ => IPAddress.Parse("198.51.100.1")));
        Assert.Equal(new EndpointName("b.test", 51820), named.Update.Peers[0].EndpointName);
        Assert.True(IfconfigParser.TryParse("wg7", ["wgpeer", TestKeysBase64(), "wgendpoint", "198.51.100.1", "51820"], out var literal, out _));
        Assert.Null(literal.Update.Peers[0].EndpointName);
    }

    [Fact]
    public void EndpointHostTravelsInSetAndComesBackInGetWgsharp()
    {
        using var pair = new InMemoryPair();
        var update = new DeviceUpdate();
        update.Peers.Add(new PeerUpdate(pair.B.PublicKey) { Endpoint = IPEndPoint.Parse("198.51.100.1:51820"), EndpointName = new EndpointName("b.test", 51820) });
        string body = UapiSetFormatter.FormatBody(update);
        Assert.Contains("endpoint_host=b.test:51820\n", body);
        var result = UapiSetParser.Parse(body, out var parsed);
        Assert.True(result.IsOk, result.Message);
        Assert.True(pair.A.Device.Apply(parsed!).IsOk);
        Assert.Equal(new EndpointName("b.test", 51820), pair.A.PeerFor(pair.B).EndpointName);
        Assert.Contains("endpoint_host=b.test:51820\n", UapiGetFormatter.FormatReply(pair.A.Device.GetStatus(), extensions: true));
        Assert.DoesNotContain("endpoint_host", UapiGetFormatter.FormatReply(pair.A.Device.GetStatus()));

        // wg set with an address (no name) forgets it: the daemon stops following DNS.
        var byAddress = new DeviceUpdate();
        byAddress.Peers.Add(new PeerUpdate(pair.B.PublicKey) { Endpoint = IPEndPoint.Parse("198.51.100.7:51820") });
        Assert.True(pair.A.Device.Apply(byAddress).IsOk);
        Assert.Null(pair.A.PeerFor(pair.B).EndpointName);
    }

    private static string TestKeysBase64() => WgSharp.Tests.Ifconfig.TestKeys.Base64(0x61);
}
