using WgSharp.Linux;
using WgSharp.Tests.Integration.Infrastructure;

namespace WgSharp.Tests.BsdCli;

/// <summary>
/// An unprivileged user is told what is wrong (permission denied; root or CAP_NET_ADMIN is needed),
/// not "no such interface", and nothing is created.
/// </summary>
[Collection(NetnsCollection.Name)]
[Trait(TestTiers.Name, TestTiers.Root)]
public sealed class NonRootTests
{
    /// <summary>`setpriv` drops to nobody with no capabilities, as a login user without sudo.</summary>
    private static CommandResult AsNobody(NetworkNamespace ns, params string[] args)
    {
        var (program, prefix) = WgSharpCli.Command;
        return ns.Exec("setpriv", new[] { "--reuid=nobody", "--regid=nogroup", "--clear-groups", "--inh-caps=-all", program }.Concat(prefix).Concat(args),
            TimeSpan.FromSeconds(60));
    }

    [Fact]
    public void AnUnprivilegedUserIsToldPermissionIsDenied()
    {
        using var ns = NetworkNamespace.Create();
        string missing = TestNames.NewInterface(), running = TestNames.NewInterface();
        try
        {
            OperatorCli.Ok(ns, running, "create");
            string[][] commands =
            [
                [missing], [missing, "create"], [missing, "destroy"], [missing, "wgport", "7465"], ["-f", missing],
                [running], [running, "destroy"], [running, "wgport", "7466"], ["wg"], ["-a"],
            ];
            foreach (var command in commands)
            {
                var result = AsNobody(ns, command);
                string shown = "wgsharp " + string.Join(' ', command);
                Assert.True(result.ExitCode == 1, $"{shown}: exit {result.ExitCode}");
                string[] lines = result.StandardError.TrimEnd('\n').Split('\n');
                Assert.True(lines.Length == 1, $"{shown}: {result.StandardError}");
                Assert.Contains("permission denied", lines[0]);
                Assert.Contains("root or CAP_NET_ADMIN", lines[0]);
                Assert.StartsWith("wgsharp: ", lines[0]);
            }
            Assert.False(File.Exists(OperatorCli.SocketOf(missing)));
            Assert.False(NetNs.LinkExists(ns.Name, missing));
            OperatorCli.AssertRunning(ns, running); // destroy as nobody changed nothing
            OperatorCli.Ok(ns, running, "destroy");
        }
        finally { OperatorCli.CleanUp(ns, missing, running); }
    }

    /// <summary>
    /// The wg(8) dialect answers an unprivileged user as wg does: a socket it may not connect to is an
    /// interface it cannot access ("Permission denied", exit 1), never silently no interface at all.
    /// </summary>
    [Fact]
    public void WgShowTellsAnUnprivilegedUserPermissionIsDeniedAsWgDoes()
    {
        using var ns = NetworkNamespace.Create();
        string running = TestNames.NewInterface();
        try
        {
            OperatorCli.Ok(ns, running, "create");
            foreach (var command in new[] { new[] { "show" }, ["show", "all"], ["show", "all", "dump"] })
            {
                var result = AsNobody(ns, command);
                string shown = "wgsharp " + string.Join(' ', command);
                Assert.True(result.ExitCode == 1, $"{shown}: exit {result.ExitCode}: {result.StandardError}");
                Assert.Contains($"Unable to access interface {running}: Permission denied\n", result.StandardError);
                Assert.Equal("", result.StandardOutput);
            }
            // As wg: the listing names what is there, whether or not the caller may talk to it.
            var interfaces = AsNobody(ns, "show", "interfaces");
            Assert.True(interfaces.Succeeded, interfaces.StandardError);
            Assert.Contains(running, interfaces.StandardOutput.Split([' ', '\n'], StringSplitOptions.RemoveEmptyEntries));
            OperatorCli.Ok(ns, running, "destroy");
        }
        finally { OperatorCli.CleanUp(ns, running); }
    }
}
