using WgSharp.Linux;
using WgSharp.Tests.Integration.Infrastructure;

namespace WgSharp.Tests.BsdCli;

/// <summary>`wgsharp route -T N exec CMD`: CMD runs in namespace rdomainN with our stdio and its exit status.</summary>
[Collection(NetnsCollection.Name)]
public sealed class RouteTests : IDisposable
{
    private const string Namespace = "rdomain206";

    public RouteTests()
    {
        NetNs.Delete(Namespace);
        NetNs.Create(Namespace);
        NetNs.Ip(Namespace, "tuntap", "add", "dev", "wgsbdummy", "mode", "tun").EnsureSuccess();
    }

    public void Dispose() => NetNs.Delete(Namespace);

    [Theory]
    [InlineData("-T206")]
    [InlineData("-T", "206")]
    public void ExecRunsInsideTheRdomain(params string[] table)
    {
        var result = WgSharpCli.Run(["route", .. table, "exec", "ip", "-br", "link"]);
        Assert.True(result.Succeeded, result.StandardError);
        Assert.Contains("wgsbdummy", result.StandardOutput);
        Assert.DoesNotContain("wgsbdummy", WgSharpCli.Run("route", "-T0", "exec", "ip", "-br", "link").StandardOutput);
    }

    [Fact]
    public void TheExitStatusIsPassedOn()
    {
        Assert.Equal(7, WgSharpCli.Run("route", "-T206", "exec", "sh", "-c", "exit 7").ExitCode);
        Assert.Equal(3, WgSharpCli.Run("route", "exec", "sh", "-c", "exit 3").ExitCode);
    }

    [Theory]
    [InlineData("256", "256")]
    [InlineData("x", "x")]
    [InlineData("207", "rdomain207")]
    public void BadOrMissingRdomainIsAnError(string table, string named)
    {
        var result = WgSharpCli.Run("route", "-T", table, "exec", "true");
        Assert.Equal(1, result.ExitCode);
        Assert.Contains(named, result.StandardError);
    }

    [Fact]
    public void OnlyExecIsSupported()
    {
        var result = WgSharpCli.Run("route", "-T206", "show");
        Assert.Equal(1, result.ExitCode);
        Assert.Contains("show", result.StandardError);
    }
}
