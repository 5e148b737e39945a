using System.Net;
using System.Net.Sockets;
using WgSharp.Linux;
using WgSharp.Tests.Integration.Infrastructure;

namespace WgSharp.Tests.BsdCli;

/// <summary>
/// A create that fails leaves nothing (no interface, no daemon, no socket); destroy removes an
/// rdomainN namespace that wgsharp created once nothing else is left in it, and never one it did not create.
/// </summary>
[Collection(NetnsCollection.Name)]
[Trait(TestTiers.Name, TestTiers.Root)]
public sealed class FailedCreateTests
{
    [Fact]
    public void CreateOnAPortInUseFailsAndLeavesNothing()
    {
        using var ns = NetworkNamespace.Create();
        string name = TestNames.NewInterface();
        using var holder = ns.Run(() =>
        {
            var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
            socket.Bind(new IPEndPoint(IPAddress.Any, 7464));
            return socket;
        });
        try
        {
            var result = OperatorCli.Run(ns, name, "create", "wgport", "7464");
            Assert.Equal(1, result.ExitCode);
            string[] lines = result.StandardError.TrimEnd('\n').Split('\n');
            Assert.Single(lines);
            Assert.Equal($"wgsharp: {name}: Address already in use", lines[0]);
            OperatorCli.AssertNothingLeft(ns, name);
        }
        finally { OperatorCli.CleanUp(ns, name); }
    }

    [Fact]
    public void DestroyRemovesTheRDomainNamespaceItCreatedAndOnlyThat()
    {
        using RDomainLease created = RDomainLease.Take(), existing = RDomainLease.Take();
        string createdNs = created.Namespace, existingNs = existing.Namespace;
        string name = TestNames.NewInterface(), other = TestNames.NewInterface();
        try
        {
            NetNs.Create(existingNs);
            WgSharpCli.Ok(name, "create", "rdomain", $"{created.Number}");
            Assert.True(NetNs.Exists(createdNs));
            WgSharpCli.Ok(other, "create", "rdomain", $"{existing.Number}");

            WgSharpCli.Ok(name, "destroy");
            Assert.False(NetNs.Exists(createdNs), "the namespace wgsharp created for rdomain was left behind");
            WgSharpCli.Ok(other, "destroy");
            Assert.True(NetNs.Exists(existingNs), "destroy removed a namespace wgsharp did not create");
        }
        finally { WgSharpCli.CleanUp([name, other], [created.Number, existing.Number]); }
    }

    [Fact]
    public void DestroyKeepsAnRDomainNamespaceThatStillHoldsSomething()
    {
        using var rdomain = RDomainLease.Take();
        string netns = rdomain.Namespace;
        string name = TestNames.NewInterface(), vethA = TestNames.NewInterface(), vethB = TestNames.NewInterface();
        try
        {
            WgSharpCli.Ok(name, "create", "rdomain", $"{rdomain.Number}");
            IpCommand.Run(netns, "link", "add", vethA, "type", "veth", "peer", "name", vethB).EnsureSuccess();
            WgSharpCli.Ok(name, "destroy");
            Assert.True(NetNs.Exists(netns), "destroy removed a namespace that still held a link");
        }
        finally { WgSharpCli.CleanUp([name], [rdomain.Number]); }
    }
}
