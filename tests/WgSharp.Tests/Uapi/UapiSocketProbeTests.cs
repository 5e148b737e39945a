using System.Net.Sockets;
using WgSharp.Control.Uapi;
using WgSharp.Linux;

namespace WgSharp.Tests.Uapi;

/// <summary>The probe tells a serving socket from a stale file (a daemon killed with SIGKILL) and from no file.</summary>
public sealed class UapiSocketProbeTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("wgsb-probe-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public void NoFileIsAbsent() =>
        Assert.Equal(UapiSocketState.Absent, UapiSocketProbe.Probe(Path.Combine(_directory, "none.sock")));

    [Fact]
    public void APathTooLongForASocketIsAbsent() =>
        Assert.Equal(UapiSocketState.Absent, UapiSocketProbe.Probe(Path.Combine(_directory, new string('s', 200))));

    [Fact]
    public void ConnectingWhereNobodyListensAnswersWithTheErrnoInsteadOfThrowing()
    {
        // Every daemon launch probes its socket path first: the usual "nobody there" must not be an exception.
        Assert.Null(UnixStreamSocket.TryConnect(Path.Combine(_directory, "none.sock"), out int errno));
        Assert.Equal(2, errno); // ENOENT
        var e = Assert.Throws<LinuxIoException>(() => UnixStreamSocket.Connect(Path.Combine(_directory, "none.sock")));
        Assert.Equal(2, e.Errno);
    }

    [Fact]
    public void AListeningSocketIsServing()
    {
        string path = Path.Combine(_directory, "live.sock");
        using var listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        listener.Bind(new UnixDomainSocketEndPoint(path));
        listener.Listen();
        Assert.Equal(UapiSocketState.Serving, UapiSocketProbe.Probe(path));
        Assert.True(UapiSocketProbe.IsServing(path));
    }

    [Fact]
    public void ASocketFileNobodyListensOnIsStale()
    {
        string path = Path.Combine(_directory, "dead.sock");
        using var bound = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        bound.Bind(new UnixDomainSocketEndPoint(path)); // the file exists, but connections are refused
        Assert.Equal(UapiSocketState.Stale, UapiSocketProbe.Probe(path));
        Assert.False(UapiSocketProbe.IsServing(path));
    }
}
