using WgSharp.Keys;
using WgSharp.Tests.Integration.Infrastructure;

namespace WgSharp.Tests.BsdCli;

/// <summary>The wg(4) manual's example script, with ifconfig → wgsharp and route → wgsharp route.</summary>
[Collection(NetnsCollection.Name)]
public sealed class ManualExampleTests : IDisposable
{
    private static readonly string[] Interfaces = ["wgsb1", "wgsb2"];
    private static readonly int[] RDomains = [201, 202];

    public ManualExampleTests() => WgSharpCli.CleanUp(Interfaces, RDomains);

    public void Dispose() => WgSharpCli.CleanUp(Interfaces, RDomains);

    [Fact]
    public void ManualScriptRunsUnchangedAndPingsThroughTheTunnel()
    {
        // The manual's script word for word, apart from the command names, interface names and rdomain numbers.
        const string script = """
            # create interfaces; set random private keys
            wgsharp wgsb1 create wgport 7111 wgkey `openssl rand -base64 32` rdomain 201
            wgsharp wgsb2 create wgport 7222 wgkey `openssl rand -base64 32` rdomain 202

            # retrieve the public keys associated with the private keys
            PUB1="`wgsharp wgsb1 | grep 'wgpubkey' | cut -d ' ' -f 2`"
            PUB2="`wgsharp wgsb2 | grep 'wgpubkey' | cut -d ' ' -f 2`"

            wgsharp wgsb1 wgpeer $PUB2 wgendpoint 127.0.0.1 7222 wgaip 192.168.5.2/32
            wgsharp wgsb2 wgpeer $PUB1 wgendpoint 127.0.0.1 7111 wgaip 192.168.5.1/32
            wgsharp wgsb1 192.168.5.1/24
            wgsharp wgsb2 192.168.5.2/24

            wgsharp route -T201 exec ping -c 2 -W 3 192.168.5.2
            echo "PUB1=$PUB1"
            echo "PUB2=$PUB2"
            """;
        var result = WgSharpCli.Shell(script);
        Assert.True(result.Succeeded, $"exit {result.ExitCode}\n{result.StandardOutput}\n{result.StandardError}");
        Assert.Contains("bytes from 192.168.5.2", result.StandardOutput);

        // The pipeline yields exactly the public key of the private key the daemon holds.
        foreach (var (name, variable) in new[] { ("wgsb1", "PUB1"), ("wgsb2", "PUB2") })
        {
            string shown = result.StandardOutput.Split('\n').Single(l => l.StartsWith(variable + "=", StringComparison.Ordinal))[(variable.Length + 1)..];
            string privateLine = WgSharpCli.Wg("showconf", name).EnsureSuccess().StandardOutput
                .Split('\n').Single(l => l.StartsWith("PrivateKey", StringComparison.Ordinal));
            var privateKey = Key.ParseBase64(privateLine[(privateLine.IndexOf('=') + 1)..].Trim());
            Assert.Equal(KeyPair.DerivePublicKey(privateKey).ToBase64(), shown);
        }

        // Both interfaces live in their rdomains; the UDP sockets stay in the default namespace.
        Assert.True(WgSharp.Linux.NetNs.LinkExists("rdomain201", "wgsb1"));
        Assert.True(WgSharp.Linux.NetNs.LinkExists("rdomain202", "wgsb2"));
        Assert.False(WgSharp.Linux.NetNs.LinkExists(null, "wgsb1"));
        var sockets = WgSharp.Linux.CommandRunner.Run("ss", "-Huln", "sport = :7111").EnsureSuccess().StandardOutput;
        Assert.Contains(":7111", sockets);
        Assert.Contains("rdomain 201", WgSharpCli.Ok("wgsb1").StandardOutput);
    }

    [Fact]
    public void DemoRunsTheExampleAndCleansUp()
    {
        var result = WgSharpCli.Run(["demo", "--interfaces", "wgsb1,wgsb2", "--rdomains", "201,202", "--ports", "7311,7322"], TimeSpan.FromSeconds(60));
        Assert.True(result.Succeeded, $"exit {result.ExitCode}\n{result.StandardOutput}\n{result.StandardError}");
        Assert.Contains("bytes from 192.168.5.2", result.StandardOutput);
        Assert.Contains("wgpubkey", result.StandardOutput);
        Assert.Contains("demo succeeded", result.StandardOutput);
        Assert.False(WgSharp.Linux.NetNs.Exists("rdomain201"));
        Assert.False(WgSharp.Linux.NetNs.Exists("rdomain202"));
        Assert.False(File.Exists("/var/run/wireguard/wgsb1.sock"));
        Assert.False(File.Exists("/var/run/wireguard/wgsb2.sock"));
    }

    [Fact]
    public void DemoRefusesInterfacesThatExistAndLeavesThemAlone()
    {
        WgSharpCli.Ok("wgsb1", "create");
        var result = WgSharpCli.Run("demo", "--interfaces", "wgsb1,wgsb2", "--rdomains", "201,202", "--ports", "7311,7322");
        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains("wgsb1 already exists", result.StandardError);
        Assert.True(WgSharpCli.IsServing("wgsb1"));
        Assert.False(WgSharpCli.IsServing("wgsb2"));
    }
}
