using System.Globalization;
using WgSharp.Tests.BsdCli;
using WgSharp.Tests.Integration.Infrastructure;

namespace WgSharp.Tests.Ops;

/// <summary>
/// One daemon per metrics port (issue 20, item 2): a second daemon asked for the port a first one serves must
/// fail with the documented "cannot serve metrics" error, not share the port (SO_REUSEPORT) so scrapes alternate.
/// </summary>
[Collection(NetnsCollection.Name)]
[Trait(TestTiers.Name, TestTiers.Root)]
public sealed class MetricsPortTests : IDisposable
{
    private readonly string _first = TestNames.NewInterface(), _second = TestNames.NewInterface();

    public MetricsPortTests() => WgSharpCli.CleanUp([_first, _second], []);

    public void Dispose() => WgSharpCli.CleanUp([_first, _second], []);

    [Fact]
    public void ASecondDaemonOnAServedMetricsPortFailsWithTheDocumentedError()
    {
        int port = FreePorts.Tcp();
        string text = port.ToString(CultureInfo.InvariantCulture);
        using var first = new ForegroundDaemon(_first, environment: new Dictionary<string, string> { ["WGSHARP_METRICS"] = text });
        var result = WgSharpCli.Run(["-f", _second, "--metrics", $"127.0.0.1:{text}"], TimeSpan.FromSeconds(30));
        Assert.Equal(1, result.ExitCode);
        Assert.Contains($"wgsharp: {_second}: cannot serve metrics on 127.0.0.1:{text}", result.StandardError);
        Assert.False(WgSharp.Linux.NetNs.LinkExists(null, _second));
        Assert.True(WgSharpCli.IsServing(_first));
    }
}
