using System.Net;
using System.Runtime.InteropServices;
using System.Text.Json;
using WgSharp.Linux;
using WgSharp.Linux.Netlink;
using WgSharp.Tests.Integration.Infrastructure;

namespace WgSharp.Tests.Linux.Netlink;

/// <summary>
/// Namespaces, links, addresses and routes made in-process (issue 22 item 4), checked from the outside with ip(8)'s
/// JSON, as an administrator would see them.
/// </summary>
[Trait(TestTiers.Name, TestTiers.Root)]
[Collection(NetnsCollection.Name)]
public sealed partial class NetlinkNamespaceTests : IDisposable
{
    private readonly string _name = TestNames.NewNamespace();

    public void Dispose()
    {
        try { NetNs.Delete(_name); }
        catch (InvalidOperationException) { }
    }

    private static JsonElement IpJson(params string[] arguments)
    {
        var result = IpCommand.Run(null, ["-j", .. arguments]).EnsureSuccess();
        return JsonDocument.Parse(result.StandardOutput).RootElement;
    }

    /// <summary>A veth pair in the namespace (no dummy driver on every kernel); <paramref name="link"/> is one end.</summary>
    private void AddVeth(string link) =>
        IpCommand.Run(_name, "link", "add", link, "type", "veth", "peer", "name", TestNames.NewInterface()).EnsureSuccess();

    [Fact]
    public void ANamespaceMadeInProcessHasLoopbackUpAndTakesAddressesAndRoutesIpSees()
    {
        NetNs.Create(_name);
        Assert.Contains(_name, IpCommand.Run(null, "netns", "list").EnsureSuccess().StandardOutput);
        var lo = IpJson("-n", _name, "link", "show", "dev", "lo")[0];
        Assert.Contains("UP", lo.GetProperty("flags").EnumerateArray().Select(f => f.GetString()));

        string link = TestNames.NewInterface();
        AddVeth(link);
        NetNs.SetMtu(_name, link, 1380);
        NetNs.AddAddress(_name, link, "10.77.0.1/24");
        NetNs.AddAddress(_name, link, "2001:db8:77::1/64");
        NetNs.SetLinkUp(_name, link, true);
        NetNs.AddRoute(_name, "10.78.0.0/16", link);
        NetNs.AddRoute(_name, "2001:db8:78::/48", link);

        var shown = IpJson("-n", _name, "address", "show", "dev", link)[0];
        Assert.Equal(1380, shown.GetProperty("mtu").GetInt32());
        Assert.Contains("UP", shown.GetProperty("flags").EnumerateArray().Select(f => f.GetString()));
        var addresses = shown.GetProperty("addr_info").EnumerateArray()
            .Select(a => $"{a.GetProperty("local").GetString()}/{a.GetProperty("prefixlen").GetInt32()}").ToList();
        Assert.Contains("10.77.0.1/24", addresses);
        Assert.Contains("2001:db8:77::1/64", addresses);
        Assert.DoesNotContain(shown.GetProperty("addr_info").EnumerateArray(), a => a.TryGetProperty("tentative", out _)); // nodad

        var routes = IpJson("-n", _name, "route", "show", "10.78.0.0/16")[0];
        Assert.Equal(link, routes.GetProperty("dev").GetString());
        Assert.Equal("link", routes.GetProperty("scope").GetString());
        Assert.Equal(link, IpJson("-n", _name, "-6", "route", "show", "2001:db8:78::/48")[0].GetProperty("dev").GetString());

        // The in-process view agrees.
        var found = NetNs.FindLink(_name, link);
        Assert.NotNull(found);
        Assert.Equal(("veth", 1380), (found.Kind, found.Mtu));
        Assert.True(found.IsUp);
        Assert.Contains(NetNs.Links(_name), l => l.Name == "lo");
        using (var netlink = RouteNetlinkClient.Open(_name))
        {
            var listed = netlink.Addresses(found.Index);
            Assert.Contains(listed, a => a.Address.Equals(IPAddress.Parse("10.77.0.1")) && a.PrefixLength == 24);
            netlink.DeleteAddress(link, new(IPAddress.Parse("10.77.0.1"), 24));
        }
        Assert.DoesNotContain("10.77.0.1", IpCommand.Run(_name, "address", "show", "dev", link).EnsureSuccess().StandardOutput);

        NetNs.DeleteLink(_name, link);
        Assert.False(NetNs.LinkExists(_name, link));
        NetNs.Delete(_name);
        Assert.False(NetNs.Exists(_name));
        Assert.DoesNotContain(_name, IpCommand.Run(null, "netns", "list").EnsureSuccess().StandardOutput);
    }

    [Fact]
    public void EachRefusalNamesWhatWasAttemptedAndTheErrno()
    {
        NetNs.Create(_name);
        string link = TestNames.NewInterface();
        AddVeth(link);
        NetNs.AddAddress(_name, link, "10.79.0.1/24");

        var exists = Assert.Throws<NetworkSetupException>(() => NetNs.AddAddress(_name, link, "10.79.0.1/24"));
        Assert.StartsWith($"cannot add address 10.79.0.1/24 to link {link}: file exists (EEXIST)", exists.Message);
        var missing = Assert.Throws<NetworkSetupException>(() => NetNs.SetLinkUp(_name, "wgsh-none0", true));
        Assert.StartsWith("cannot set link wgsh-none0 up: no such device (ENODEV)", missing.Message);
        var noRoute = Assert.Throws<NetworkSetupException>(() => NetNs.AddRoute(_name, "10.80.0.0/16", "wgsh-none0"));
        Assert.Equal("cannot add route 10.80.0.0/16 dev wgsh-none0: no such device (ENODEV)", noRoute.Message);
        Assert.Throws<ArgumentException>(() => NetNs.AddAddress(_name, link, "10.79.0.300/24"));
        Assert.Throws<ArgumentException>(() => NetNs.SetLinkUp(_name, "a/b", true));
        Assert.DoesNotContain('\n', exists.Message);
    }

    [Fact]
    public void ALinkMovesIntoAnotherNamespace()
    {
        NetNs.Create(_name);
        using var other = NetworkNamespace.Create();
        string link = TestNames.NewInterface();
        AddVeth(link);

        NetNs.MoveLink(link, other.Name, _name);

        Assert.False(NetNs.LinkExists(_name, link));
        Assert.True(NetNs.LinkExists(other.Name, link));
        Assert.Equal(link, IpJson("-n", other.Name, "link", "show", "dev", link)[0].GetProperty("ifname").GetString());
    }

    [Fact]
    public void DeletingANamespaceThatIsGoneOrWasNeverMadeIsFine()
    {
        NetNs.Delete(_name);
        NetNs.Create(_name);
        IpCommand.Run(null, "netns", "delete", _name).EnsureSuccess(); // removed behind our back
        NetNs.Delete(_name);
        Assert.False(NetNs.Exists(_name));
    }

    [Fact]
    public void WithoutPrivilegeCreatingSaysPermissionDeniedAndLeavesNothing()
    {
        // Capabilities belong to a thread, and the thread NetNs starts inherits this one's: no root needed to lose them.
        Exception? error = null;
        var thread = new Thread(() =>
        {
            DropAdminCapabilities();
            try { NetNs.Create(_name); }
            catch (Exception e) { error = e; }
        });
        thread.Start();
        thread.Join();

        var failure = Assert.IsType<NetworkSetupException>(error);
        Assert.Equal($"cannot create network namespace '{_name}': make {NetNs.NamedNamespaceDirectory} a shared mount: operation not permitted (EPERM)", failure.Message);
        Assert.False(NetNs.Exists(_name));
    }

    /// <summary>Clears CAP_NET_ADMIN and CAP_SYS_ADMIN from the calling thread's effective set (capget/capset, version 3).</summary>
    private static unsafe void DropAdminCapabilities()
    {
        const uint Version3 = 0x20080522;
        const int NetAdmin = 12, SysAdmin = 21;
        var header = stackalloc uint[2] { Version3, 0 };
        var data = stackalloc uint[6]; // two { effective, permitted, inheritable }
        Assert.Equal(0, CapGet(header, data));
        data[0] &= ~((1u << NetAdmin) | (1u << SysAdmin));
        Assert.Equal(0, CapSet(header, data));
    }

    [LibraryImport("libc", EntryPoint = "capget", SetLastError = true)]
    private static unsafe partial int CapGet(uint* header, uint* data);

    [LibraryImport("libc", EntryPoint = "capset", SetLastError = true)]
    private static unsafe partial int CapSet(uint* header, uint* data);
}
