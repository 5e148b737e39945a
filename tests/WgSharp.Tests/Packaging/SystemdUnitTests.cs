using System.Net.Sockets;
using System.Text;
using WgSharp.Linux;
using WgSharp.Tests.Daemon;
using WgSharp.Tests.Integration.Infrastructure;

namespace WgSharp.Tests.Packaging;

/// <summary>
/// packaging/systemd/wgsharp@.service is Type=notify: its ExecStart, started as systemd starts it (in the
/// foreground, NOTIFY_SOCKET naming a datagram socket that listens), sends READY=1 once the control socket
/// answers, and STOPPING=1 when systemd's SIGTERM stops it.
/// </summary>
[Collection(NetnsCollection.Name)]
[Trait(TestTiers.Name, TestTiers.Root)]
public sealed class SystemdUnitTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(15);

    private static string[] UnitLines() =>
        File.ReadAllLines(Path.Combine(RepositoryRoot.Path, "packaging", "systemd", "wgsharp@.service"));

    private static string Setting(string key) =>
        UnitLines().Single(l => l.StartsWith(key + "=", StringComparison.Ordinal))[(key.Length + 1)..];

    [Fact]
    public void UnitIsANotifyServiceThatRestartsOnFailure()
    {
        Assert.Equal("notify", Setting("Type"));
        Assert.Equal("on-failure", Setting("Restart"));
        Assert.Equal("@BINDIR@/wgsharp -f %i", Setting("ExecStart"));
    }

    [Fact]
    public void ExecStartNotifiesReadyOnceTheControlSocketAnswersAndStoppingOnSigterm()
    {
        using var ns = NetworkNamespace.Create();
        string name = TestNames.NewInterface();
        string notifyPath = Path.Combine(Path.GetTempPath(), $"wgsharp-notify-{Guid.NewGuid():N}.sock");
        using var listener = new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
        listener.Bind(new UnixDomainSocketEndPoint(notifyPath));
        listener.ReceiveTimeout = (int)Timeout.TotalMilliseconds;

        // ExecStart with the installed wgsharp replaced by the one built for the tests, %i by the instance.
        var command = Setting("ExecStart").Split(' ').Select(a => a.Replace("@BINDIR@/wgsharp", DaemonProcess.AppHost).Replace("%i", name)).ToArray();
        Assert.Equal(DaemonProcess.AppHost, command[0]);
        var (process, output) = DaemonProcess.Start(ns.Name, command[1..], new Dictionary<string, string> { ["NOTIFY_SOCKET"] = notifyPath });
        using (process)
        try
        {
            Assert.Equal("READY=1", Receive(listener, output));
            Assert.Contains("errno=0", QueryControlSocket($"/var/run/wireguard/{name}.sock"));

            CommandRunner.Run("kill", "-TERM", process.Id.ToString()); // how systemd stops a service
            Assert.Equal("STOPPING=1", Receive(listener, output));
            Assert.True(process.WaitForExit(Timeout), output.ToString());
            Assert.Equal(0, process.ExitCode);
        }
        finally
        {
            if (!process.HasExited) process.Kill(); // a daemon that ignored the signal must not outlive the test
            File.Delete(notifyPath);
        }
    }

    private static string Receive(Socket listener, StringBuilder output)
    {
        var buffer = new byte[256];
        try { return Encoding.UTF8.GetString(buffer, 0, listener.Receive(buffer)); }
        catch (SocketException e) when (e.SocketErrorCode == SocketError.TimedOut) { Assert.Fail("no notification; daemon output: " + output); throw; }
    }

    private static string QueryControlSocket(string path)
    {
        using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        socket.Connect(new UnixDomainSocketEndPoint(path));
        socket.Send("get=1\n\n"u8);
        var reply = new StringBuilder();
        var buffer = new byte[4096];
        int n;
        while (!reply.ToString().Contains("\n\n") && (n = socket.Receive(buffer)) > 0) reply.Append(Encoding.UTF8.GetString(buffer, 0, n));
        return reply.ToString();
    }
}
