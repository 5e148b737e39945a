using WgSharp.Linux;
using WgSharp.Tests.BsdCli;
using WgSharp.Tests.Integration.Infrastructure;

namespace WgSharp.Tests.Ops;

/// <summary>
/// `show all json` as a user who may not read the interfaces (issue 20, minor): exit 1 with wg's "Permission
/// denied" line, as `show all` does, never an empty list that a monitor reads as "nothing configured, all fine".
/// </summary>
[Collection(NetnsCollection.Name)]
[Trait(TestTiers.Name, TestTiers.Root)]
public sealed class NonRootJsonTests
{
    private static CommandResult AsNobody(NetworkNamespace ns, params string[] args)
    {
        var (program, prefix) = WgSharpCli.Command;
        return ns.Exec("setpriv", new[] { "--reuid=nobody", "--regid=nogroup", "--clear-groups", "--inh-caps=-all", program }.Concat(prefix).Concat(args),
            TimeSpan.FromSeconds(60));
    }

    [Fact]
    public void ShowAllJsonAsAnUnprivilegedUserFailsLikeShowAll()
    {
        using var ns = NetworkNamespace.Create();
        string running = TestNames.NewInterface();
        try
        {
            OperatorCli.Ok(ns, running, "create");
            var result = AsNobody(ns, "show", "all", "json");
            Assert.True(result.ExitCode == 1, $"exit {result.ExitCode}: {result.StandardOutput}{result.StandardError}");
            Assert.Contains($"Unable to access interface {running}: Permission denied\n", result.StandardError);
            Assert.Equal("", result.StandardOutput);
            OperatorCli.Ok(ns, running, "destroy");
        }
        finally { OperatorCli.CleanUp(ns, running); }
    }
}
