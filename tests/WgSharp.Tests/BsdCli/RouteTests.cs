using System.Globalization;
using WgSharp.Linux;
using WgSharp.Tests.Integration.Infrastructure;

namespace WgSharp.Tests.BsdCli;

/// <summary>`wgsharp route -T N exec CMD`: CMD runs in namespace rdomainN with our stdio and its exit status.</summary>
[Collection(NetnsCollection.Name)]
[Trait(TestTiers.Name, TestTiers.Root)]
public sealed class RouteTests : IDisposable
{
    private readonly RDomainLease _rdomain = RDomainLease.Take();

    public RouteTests()
    {
        NetNs.Create(_rdomain.Namespace);
        IpCommand.Run(_rdomain.Namespace, "tuntap", "add", "dev", "wgsbdummy", "mode", "tun").EnsureSuccess(); // only in this namespace
    }

    public void Dispose() => _rdomain.Dispose();

    [Theory]
    [InlineData("-T{0}")]
    [InlineData("-T", "{0}")]
    public void ExecRunsInsideTheRdomain(params string[] table)
    {
        string[] words = [.. table.Select(word => string.Format(CultureInfo.InvariantCulture, word, _rdomain.Number))];
        var result = WgSharpCli.Run(["route", .. words, "exec", "ip", "-br", "link"]);
        Assert.True(result.Succeeded, result.StandardError);
        Assert.Contains("wgsbdummy", result.StandardOutput);
        Assert.DoesNotContain("wgsbdummy", WgSharpCli.Run("route", "-T0", "exec", "ip", "-br", "link").StandardOutput);
    }

    [Fact]
    public void TheExitStatusIsPassedOn()
    {
        Assert.Equal(7, WgSharpCli.Run("route", $"-T{_rdomain.Number}", "exec", "sh", "-c", "exit 7").ExitCode);
        Assert.Equal(3, WgSharpCli.Run("route", "exec", "sh", "-c", "exit 3").ExitCode);
    }

    [Theory]
    [InlineData("256", "256")]
    [InlineData("x", "x")]
    public void BadRdomainIsAnError(string table, string named)
    {
        var result = WgSharpCli.Run("route", "-T", table, "exec", "true");
        Assert.Equal(1, result.ExitCode);
        Assert.Contains(named, result.StandardError);
    }

    [Fact]
    public void MissingRdomainIsAnError()
    {
        using var missing = RDomainLease.Take(); // its namespace does not exist
        var result = WgSharpCli.Run("route", "-T", $"{missing.Number}", "exec", "true");
        Assert.Equal(1, result.ExitCode);
        Assert.Contains(missing.Namespace, result.StandardError);
    }

    [Fact]
    public void OnlyExecIsSupported()
    {
        var result = WgSharpCli.Run("route", $"-T{_rdomain.Number}", "show");
        Assert.Equal(1, result.ExitCode);
        Assert.Contains("show", result.StandardError);
    }
}
