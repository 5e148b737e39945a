using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using WgSharp.Cli.Daemon;

namespace WgSharp.Tests.Ops;

/// <summary>
/// Where a detached daemon's lines go (issue 20): a syslog socket file nobody serves is not syslog (every line would
/// vanish), and the fallback file is private and bounded.
/// </summary>
public sealed class DaemonLogDestinationTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("wgsharp-log-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public void ASocketFileNobodyServesIsNotSyslog()
    {
        string path = Path.Combine(_directory, "log");
        using (var gone = new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified))
        {
            gone.Bind(new UnixDomainSocketEndPoint(path + ".bound"));
            File.Move(path + ".bound", path); // .NET deletes the path it bound when closing: this one stays, as after syslog stopped
        }
        Assert.True(File.Exists(path));
        Assert.Null(SyslogLoggerProvider.TryCreate(LogLevel.Debug, path));

        File.Delete(path);
        using var syslog = new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
        syslog.Bind(new UnixDomainSocketEndPoint(path));
        using var provider = SyslogLoggerProvider.TryCreate(LogLevel.Debug, path);
        Assert.NotNull(provider);
        provider.CreateLogger("wgsharp").LogWarning("hello {Who}", "syslog");
        var datagram = new byte[512];
        int length = syslog.Receive(datagram);
        Assert.EndsWith("hello syslog", System.Text.Encoding.UTF8.GetString(datagram, 0, length));
    }

    [Fact]
    public void TheLogFileIsOwnerOnlyAndNeverGrowsPastItsBound()
    {
        string path = Path.Combine(_directory, "wg0.log");
        using (var file = new StderrLoggerProvider.LogFile(path, maxBytes: 1000))
        {
            for (int i = 0; i < 100; i++) file.WriteLine($"line {i:D3} {new string('x', 40)}");
        }
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));
        Assert.InRange(new FileInfo(path).Length, 1, 1000);
        Assert.InRange(new FileInfo(path + ".old").Length, 1, 1000);
        Assert.EndsWith("line 099 " + new string('x', 40) + "\n", File.ReadAllText(path));
    }
}
