using WgSharp.Linux;
using WgSharp.Tests.Integration.Infrastructure;

namespace WgSharp.Tests.BsdCli;

/// <summary>
/// `wgsharp NAME` only ever shows: on a missing interface it is OpenBSD's error and nothing is
/// created. Starting a daemon is the launcher's job, on its own entry `wgsharp-go IFNAME` (what
/// wg-quick calls) or the explicit `wgsharp -f IFNAME`. `wgsharp wg` is the interface group.
/// </summary>
[Collection(NetnsCollection.Name)]
[Trait(TestTiers.Name, TestTiers.Root)]
public sealed class StatusNeverCreatesTests
{
    [Theory]
    [InlineData(null)]
    [InlineData("version")]
    [InlineData("wgnope2")]
    public void StatusOfAMissingInterfaceIsAnErrorAndCreatesNothing(string? fixedName)
    {
        using var ns = NetworkNamespace.Create();
        string name = fixedName ?? TestNames.NewInterface();
        if (fixedName is not null && WgSharpCli.IsServing(name)) return; // somebody really runs one: nothing to learn here
        try
        {
            OperatorCli.AssertNoSuchInterface(OperatorCli.Run(ns, name), name);
            OperatorCli.AssertNothingLeft(ns, name);
        }
        finally { OperatorCli.CleanUp(ns, name); }
    }

    /// <summary>The same from an interactive terminal: script(1) gives wgsharp a pseudo-terminal.</summary>
    [Fact]
    public void StatusOfAMissingInterfaceFromATerminalIsAnErrorAndCreatesNothing()
    {
        using var ns = NetworkNamespace.Create();
        string name = TestNames.NewInterface();
        try
        {
            var (program, prefix) = WgSharpCli.Command;
            string command = string.Join(' ', prefix.Prepend(program).Append(name).Select(word => "'" + word + "'"));
            var result = ns.Exec("script", ["-qec", command, "/dev/null"], TimeSpan.FromSeconds(60));
            Assert.Equal(1, result.ExitCode);
            Assert.Contains($"wgsharp: {name}: no such interface", result.StandardOutput); // the terminal carries both streams
            OperatorCli.AssertNothingLeft(ns, name);
        }
        finally { OperatorCli.CleanUp(ns, name); }
    }

    [Fact]
    public void AfterTheLinkIsDeletedStatusIsAnError()
    {
        using var ns = NetworkNamespace.Create();
        string name = TestNames.NewInterface();
        try
        {
            OperatorCli.Ok(ns, name, "create");
            ns.Ip("link", "del", name);
            Assert.True(OperatorCli.DaemonWait(() => OperatorCli.Pids(ns).Length == 0), "the daemon did not notice its link was deleted");

            OperatorCli.AssertNoSuchInterface(OperatorCli.Run(ns, name), name);
            OperatorCli.AssertNothingLeft(ns, name);
        }
        finally { OperatorCli.CleanUp(ns, name); }
    }

    [Fact]
    public void TheLauncherEntryStartsADetachedDaemon()
    {
        using var ns = NetworkNamespace.Create();
        string name = TestNames.NewInterface();
        try
        {
            var result = OperatorCli.RunLauncher(ns, [], name);
            Assert.True(result.Succeeded, result.StandardError);
            OperatorCli.AssertRunning(ns, name);
            Assert.Contains($"{name}: flags=", OperatorCli.Ok(ns, name).StandardOutput);

            // A second launch of a running interface fails, as wireguard-go's does, and keeps the first.
            var again = OperatorCli.RunLauncher(ns, [], name);
            Assert.NotEqual(0, again.ExitCode);
            OperatorCli.AssertRunning(ns, name);
            OperatorCli.Ok(ns, name, "destroy");
            OperatorCli.AssertNothingLeft(ns, name);
        }
        finally { OperatorCli.CleanUp(ns, name); }
    }

    [Fact]
    public void TheLauncherEntryWithoutAnInterfaceNameIsAUsageError()
    {
        using var ns = NetworkNamespace.Create();
        var result = OperatorCli.RunLauncher(ns, []);
        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains("wgsharp-go [-f/--foreground] INTERFACE-NAME", result.StandardError);
        Assert.Empty(OperatorCli.Pids(ns));
    }

    [Fact]
    public void TheInterfaceGroupAndDashAListEveryInterface()
    {
        using var ns = NetworkNamespace.Create();
        string first = TestNames.NewInterface(), second = TestNames.NewInterface();
        try
        {
            OperatorCli.Ok(ns, first, "create", "wgport", "7462");
            OperatorCli.Ok(ns, second, "create", "wgport", "7463");
            foreach (var words in new[] { new[] { "wg" }, ["-a"] })
            {
                // Nothing named wg is created: the interface group is only ever shown.
                Assert.DoesNotContain("\nwg: flags=", "\n" + OperatorCli.Ok(ns, words).StandardOutput);
                Assert.False(NetNs.LinkExists(ns.Name, "wg"));
                string listing = OperatorCli.Ok(ns, words).StandardOutput;
                Assert.Contains($"{first}: flags=", listing);
                Assert.Contains($"{second}: flags=", listing);
                Assert.Contains("\twgport 7462\n", listing);
                Assert.Contains("\twgport 7463\n", listing);
            }
            OperatorCli.Ok(ns, first, "destroy");
            OperatorCli.Ok(ns, second, "destroy");
        }
        finally { OperatorCli.CleanUp(ns, first, second); }
    }
}
