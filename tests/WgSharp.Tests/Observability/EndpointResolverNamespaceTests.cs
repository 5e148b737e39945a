using System.Net;
using WgSharp.Configuration;
using WgSharp.Device;
using WgSharp.Device.IO;
using WgSharp.Linux;
using WgSharp.Tests.Device;
using WgSharp.Tests.Device.InMemory;
using WgSharp.Tests.Integration.Infrastructure;

namespace WgSharp.Tests.Observability;

/// <summary>
/// With wgrtable N the UDP socket lives in namespace rdomainN, and endpoint names are resolved there as
/// `ip netns exec rdomainN` sees it: /etc/netns/rdomainN/hosts, not the daemon's /etc/hosts.
/// </summary>
[Collection(NetnsCollection.Name)]
[Trait(TestTiers.Name, TestTiers.Root)]
public sealed class EndpointResolverNamespaceTests : IDisposable
{
    private const string HostName = "only-in-rdomain.wgsharp.test";
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(30);
    private readonly RDomainLease _rdomain = RDomainLease.Take();
    private readonly string _namespace;
    private readonly string _hostsDirectory;

    public EndpointResolverNamespaceTests()
    {
        _namespace = _rdomain.Namespace;
        _hostsDirectory = Path.Combine("/etc/netns", _namespace);
        CleanUp();
        NetNs.Create(_namespace);
        Directory.CreateDirectory(_hostsDirectory);
        WriteHosts("198.51.100.47");
    }

    public void Dispose()
    {
        CleanUp();
        _rdomain.Dispose();
    }

    private void CleanUp()
    {
        NetNs.Delete(_namespace);
        if (Directory.Exists(_hostsDirectory)) Directory.Delete(_hostsDirectory, recursive: true);
    }

    // Rewritten in place: each lookup is a fresh `ip netns exec`, which binds the file as it is then.
    private void WriteHosts(string address) =>
        File.WriteAllText(Path.Combine(_hostsDirectory, "hosts"), $"127.0.0.1 localhost\n{address} {HostName}\n");

    [Fact]
    public void ANameIsResolvedWithTheNamespacesOwnHostsFile()
    {
        Assert.Equal([IPAddress.Parse("198.51.100.47")], NamespaceHostResolver.Resolve(_namespace, HostName));
        Assert.Throws<System.Net.Sockets.SocketException>(() => NamespaceHostResolver.Resolve(_namespace, "absent.wgsharp.test"));
    }

    [Fact]
    public void WithWgrtableTheDaemonFollowsTheNameInThatNamespace()
    {
        using var pair = new InMemoryPair();
        pair.A.Apply(new DeviceUpdate { RTable = _rdomain.Number, ListenPort = 0 }); // in memory every rtable is one network: a fresh port
        var peer = pair.A.PeerFor(pair.B);
        peer.EndpointName = new EndpointName(HostName, 51820);
        using var resolver = new EndpointResolver(pair.A.Device, new CapturingLogger(),
            host => NamespaceHostResolver.ResolveFor(pair.A.Device, host), TimeSpan.FromMilliseconds(1));
        resolver.CheckAll(); // the first answer (198.51.100.47) is only recorded: nothing failed, nothing changed
        WriteHosts("198.51.100.48");
        var moved = UdpEndpoint.FromIPEndPoint(IPEndPoint.Parse("198.51.100.48:51820"));
        Assert.True(SpinWait.SpinUntil(() => { resolver.CheckAll(); return peer.Endpoint == moved; }, Wait), peer.Endpoint.ToString());
    }

    [Fact]
    public void GetentOutputGivesEachAddressOnceInItsOrder()
    {
        const string output = "198.51.100.1    STREAM a.test\n198.51.100.1    DGRAM  \n198.51.100.1    RAW    \n2001:db8::1     STREAM \n2001:db8::1     DGRAM  \n";
        Assert.Equal([IPAddress.Parse("198.51.100.1"), IPAddress.Parse("2001:db8::1")], NamespaceHostResolver.Parse(output));
    }
}
