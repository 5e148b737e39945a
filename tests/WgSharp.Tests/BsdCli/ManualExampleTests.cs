using WgSharp.Keys;
using WgSharp.Tests.Integration.Infrastructure;

namespace WgSharp.Tests.BsdCli;

/// <summary>The wg(4) manual's example script, with ifconfig → wgsharp and route → wgsharp route.</summary>
[Collection(NetnsCollection.Name)]
[Trait(TestTiers.Name, TestTiers.Root)]
public sealed class ManualExampleTests : IDisposable
{
    private readonly string _if1 = TestNames.NewInterface(), _if2 = TestNames.NewInterface();
    private readonly RDomainLease _rdomain1 = RDomainLease.Take(), _rdomain2 = RDomainLease.Take();
    private readonly int _port1 = FreePorts.Udp(), _port2 = FreePorts.Udp();

    public ManualExampleTests() => WgSharpCli.CleanUp([_if1, _if2], [_rdomain1.Number, _rdomain2.Number]);

    public void Dispose()
    {
        WgSharpCli.CleanUp([_if1, _if2], [_rdomain1.Number, _rdomain2.Number]);
        _rdomain1.Dispose();
        _rdomain2.Dispose();
    }

    [Fact]
    public void ManualScriptRunsUnchangedAndPingsThroughTheTunnel()
    {
        // The manual's script word for word, apart from the command names, interface names, ports and rdomain numbers
        // (unique ones: other test runs may be going on).
        string script = $$"""
            # create interfaces; set random private keys
            wgsharp {{_if1}} create wgport {{_port1}} wgkey `openssl rand -base64 32` rdomain {{_rdomain1.Number}}
            wgsharp {{_if2}} create wgport {{_port2}} wgkey `openssl rand -base64 32` rdomain {{_rdomain2.Number}}

            # retrieve the public keys associated with the private keys
            PUB1="`wgsharp {{_if1}} | grep 'wgpubkey' | cut -d ' ' -f 2`"
            PUB2="`wgsharp {{_if2}} | grep 'wgpubkey' | cut -d ' ' -f 2`"

            wgsharp {{_if1}} wgpeer $PUB2 wgendpoint 127.0.0.1 {{_port2}} wgaip 192.168.5.2/32
            wgsharp {{_if2}} wgpeer $PUB1 wgendpoint 127.0.0.1 {{_port1}} wgaip 192.168.5.1/32
            wgsharp {{_if1}} 192.168.5.1/24
            wgsharp {{_if2}} 192.168.5.2/24

            wgsharp route -T{{_rdomain1.Number}} exec ping -c 2 -W 3 192.168.5.2
            echo "PUB1=$PUB1"
            echo "PUB2=$PUB2"
            """;
        var result = WgSharpCli.Shell(script);
        Assert.True(result.Succeeded, $"exit {result.ExitCode}\n{result.StandardOutput}\n{result.StandardError}");
        Assert.Contains("bytes from 192.168.5.2", result.StandardOutput);

        // The pipeline yields exactly the public key of the private key the daemon holds.
        foreach (var (name, variable) in new[] { (_if1, "PUB1"), (_if2, "PUB2") })
        {
            string shown = result.StandardOutput.Split('\n').Single(l => l.StartsWith(variable + "=", StringComparison.Ordinal))[(variable.Length + 1)..];
            string privateLine = WgSharpCli.Wg("showconf", name).EnsureSuccess().StandardOutput
                .Split('\n').Single(l => l.StartsWith("PrivateKey", StringComparison.Ordinal));
            var privateKey = Key.ParseBase64(privateLine[(privateLine.IndexOf('=') + 1)..].Trim());
            Assert.Equal(KeyGenerator.DerivePublicKey(privateKey).ToBase64(), shown);
        }

        // Both interfaces live in their rdomains; the UDP sockets stay in the default namespace.
        Assert.True(WgSharp.Linux.NetNs.LinkExists(_rdomain1.Namespace, _if1));
        Assert.True(WgSharp.Linux.NetNs.LinkExists(_rdomain2.Namespace, _if2));
        Assert.False(WgSharp.Linux.NetNs.LinkExists(null, _if1));
        var sockets = WgSharp.Linux.CommandRunner.Run("ss", "-Huln", $"sport = :{_port1}").EnsureSuccess().StandardOutput;
        Assert.Contains($":{_port1}", sockets);
        Assert.Contains($"rdomain {_rdomain1.Number}", WgSharpCli.Ok(_if1).StandardOutput);
    }

    [Fact]
    public void DemoRunsTheExampleAndCleansUp()
    {
        var result = WgSharpCli.Run(["demo", .. DemoArguments()], TimeSpan.FromSeconds(60));
        Assert.True(result.Succeeded, $"exit {result.ExitCode}\n{result.StandardOutput}\n{result.StandardError}");
        Assert.Contains("bytes from 192.168.5.2", result.StandardOutput);
        Assert.Contains("wgpubkey", result.StandardOutput);
        Assert.Contains("demo succeeded", result.StandardOutput);
        // Its words match its sockets (issue 20): they listen on every address, only the endpoints are 127.0.0.1.
        Assert.Contains("listens on every address (0.0.0.0 and [::]", result.StandardOutput);
        Assert.DoesNotContain("on 127.0.0.1 in this namespace", result.StandardOutput);
        Assert.False(WgSharp.Linux.NetNs.Exists(_rdomain1.Namespace));
        Assert.False(WgSharp.Linux.NetNs.Exists(_rdomain2.Namespace));
        Assert.False(File.Exists($"/var/run/wireguard/{_if1}.sock"));
        Assert.False(File.Exists($"/var/run/wireguard/{_if2}.sock"));
    }

    [Fact]
    public void DemoRefusesInterfacesThatExistAndLeavesThemAlone()
    {
        WgSharpCli.Ok(_if1, "create");
        var result = WgSharpCli.Run(["demo", .. DemoArguments()], null);
        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains($"{_if1} already exists", result.StandardError);
        Assert.True(WgSharpCli.IsServing(_if1));
        Assert.False(WgSharpCli.IsServing(_if2));
    }

    private string[] DemoArguments() =>
        ["--interfaces", $"{_if1},{_if2}", "--rdomains", $"{_rdomain1.Number},{_rdomain2.Number}", "--ports", $"{_port1},{_port2}"];
}
