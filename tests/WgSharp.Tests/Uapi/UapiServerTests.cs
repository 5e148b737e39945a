using System.Net.Sockets;
using System.Runtime.Versioning;
using System.Text;
using Microsoft.Extensions.Logging;
using WgSharp.Configuration;
using WgSharp.Control.Uapi;
using WgSharp.Keys;

namespace WgSharp.Tests.Uapi;

[SupportedOSPlatform("linux")]
public sealed class UapiServerTests : IDisposable
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "wgsu-" + Guid.NewGuid().ToString("N")[..8]);
    private readonly FakeDeviceControl _device = new("wgsutest0");
    private readonly ListLogger _log = new();

    private string SocketPath => Path.Combine(_directory, "wgsutest0.sock");
    private UapiServer StartServer(TimeSpan? requestTimeout = null) =>
        UapiServer.StartAt(SocketPath, _device, _log, requestTimeout);

    private static readonly string PeerA = UapiSetParserTests.HexA;
    private static readonly string PrivateHex = KeyGenerator.GeneratePrivateKey().ToHex();

    public void Dispose()
    {
        try { Directory.Delete(_directory, recursive: true); } catch (DirectoryNotFoundException) { }
    }

    [Fact]
    public void CreatesDirectoryAndOwnerOnlySocket_DisposeRemovesIt()
    {
        using (StartServer())
        {
            Assert.True(File.Exists(SocketPath));
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(SocketPath));
            var dirMode = File.GetUnixFileMode(_directory);
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.GroupRead |
                         UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute, dirMode);
        }
        Assert.False(File.Exists(SocketPath));
    }

    [Fact]
    public void GetAndSetThroughTheClient()
    {
        using var server = StartServer();
        var client = new UapiClient(SocketPath);
        Assert.Equal("wgsutest0", client.InterfaceName);

        var result = client.Set($"private_key={PrivateHex}\nlisten_port=51820\npublic_key={PeerA}\nendpoint=[fd00::1]:7\nallowed_ip=10.0.0.1/24\ndescription=hq\n");
        Assert.True(result.IsOk, result.Message);

        var update = Assert.Single(_device.Updates);
        Assert.Equal((ushort)51820, update.ListenPort);
        Assert.Equal("10.0.0.0/24", update.Peers.Single().AddAllowedIps.Single().ToString());

        var status = client.Get();
        Assert.Equal(PrivateHex, status.PrivateKey!.Value.ToHex());
        Assert.Equal((ushort)51820, status.ListenPort);
        var peer = Assert.Single(status.Peers);
        Assert.Equal("[fd00::1]:7", UapiAddressText.FormatEndpoint(peer.Endpoint!));
        Assert.Null(peer.Description); // only in get=wgsharp
        Assert.Equal("hq", client.Get(extensions: true).Peers.Single().Description);

        Assert.DoesNotContain(PrivateHex, _log.All);
    }

    [Fact]
    public void FailedSetReportsNegativeErrnoAndAppliesNothing()
    {
        using var server = StartServer();
        using var s = new UapiTestSocket(SocketPath);
        s.Send($"set=1\nlisten_port=1\npublic_key={PeerA}\nlisten_port=2\n\n");
        Assert.Equal("errno=-22\n\n", s.ReadReply());
        s.Send("set=1\nlisten_port\n\n");
        Assert.Equal("errno=-71\n\n", s.ReadReply());
        Assert.Empty(_device.Updates);
        // The connection stays usable after a failed set.
        s.Send("get=1\n\n");
        Assert.Equal("errno=0\n\n", s.ReadReply());
    }

    [Fact]
    public void DeviceErrorsAreReportedToTheClient()
    {
        using var server = StartServer();
        _device.FailWith = ConfigResult.Fail(Errno.EADDRINUSE, "port taken");
        var result = new UapiClient(SocketPath).Set("listen_port=53\n");
        Assert.Equal(Errno.EADDRINUSE, result.Errno);
        Assert.Single(_device.Updates);
    }

    [Fact]
    public void ManyRequestsOnOneConnection()
    {
        using var server = StartServer();
        using var s = new UapiTestSocket(SocketPath);
        // Several requests in one write, as a pipelining client might send them.
        s.Send("set=1\nlisten_port=1\n\nset=1\nfwmark=2\n\nget=1\n\n");
        Assert.Equal("errno=0\n\n", s.ReadReply());
        Assert.Equal("errno=0\n\n", s.ReadReply());
        Assert.Equal("listen_port=1\nfwmark=2\nerrno=0\n\n", s.ReadReply());
        Assert.Equal(2, _device.Updates.Count);
    }

    [Fact]
    public void TrailingCharacterAfterGetIsInvalid()
    {
        using var server = StartServer();
        using var s = new UapiTestSocket(SocketPath);
        s.Send("get=1\nx");
        Assert.Equal("errno=-22\n\n", s.ReadReply());
        s.Send("get=1\n\n"); // the stray byte was consumed, as in wireguard-go
        Assert.Equal("errno=0\n\n", s.ReadReply());
    }

    [Theory]
    [InlineData("hello\n")]
    [InlineData("get=2\n\n")]
    [InlineData("set=1\r\n")]
    [InlineData("GET=1\n\n")]
    public void UnknownOperationClosesTheConnection(string request)
    {
        using var server = StartServer();
        using var s = new UapiTestSocket(SocketPath);
        s.Send(request);
        Assert.True(s.IsClosedByPeer());
        Assert.Empty(_device.Updates);
        AssertServerStillWorks();
    }

    [Fact]
    public void BinaryGarbageIsDropped()
    {
        using var server = StartServer();
        using var s = new UapiTestSocket(SocketPath);
        var garbage = new byte[10_000];
        new Random(7).NextBytes(garbage);
        s.Send(garbage);
        Assert.True(s.IsClosedByPeer());
        Assert.Empty(_device.Updates);
        AssertServerStillWorks();
    }

    [Fact]
    public void NonUtf8SetLineFailsTheRequest()
    {
        using var server = StartServer();
        using var s = new UapiTestSocket(SocketPath);
        byte[] head = Encoding.ASCII.GetBytes($"set=1\nlisten_port=1\npublic_key={PeerA}\ndescription=");
        s.Send([.. head, 0xff, 0xfe, (byte)'\n', (byte)'\n']);
        Assert.Equal("errno=-22\n\n", s.ReadReply());
        Assert.Empty(_device.Updates);
    }

    [Fact]
    public void OversizedLineIsRefusedAndDropsTheClient()
    {
        using var server = StartServer();
        using var s = new UapiTestSocket(SocketPath);
        s.Send($"set=1\nlisten_port=1\npublic_key={PeerA}\ndescription={new string('x', UapiLimits.MaxLineBytes + 10)}\n\n");
        Assert.Equal("errno=-22\n\n", s.ReadReply());
        Assert.True(s.IsClosedByPeer());
        Assert.Empty(_device.Updates);
        AssertServerStillWorks();
    }

    [Fact]
    public void EndlessLineWithoutNewlineIsRefused()
    {
        using var server = StartServer();
        using var s = new UapiTestSocket(SocketPath);
        s.Send(new string('g', UapiLimits.MaxLineBytes * 3)); // no newline ever: not even an operation
        Assert.True(s.IsClosedByPeer());
        AssertServerStillWorks();
    }

    [Fact]
    public void LongestAllowedLineIsAccepted()
    {
        using var server = StartServer();
        string prefix = "description=";
        string description = new('d', UapiLimits.MaxLineBytes - prefix.Length);
        var result = new UapiClient(SocketPath).Set($"public_key={PeerA}\n{prefix}{description}\n");
        Assert.True(result.IsOk);
        Assert.Equal(description, _device.Updates.Single().Peers[0].Description);
    }

    [Fact]
    public void OversizedRequestIsRefused()
    {
        using var server = StartServer();
        using var s = new UapiTestSocket(SocketPath);
        s.Send($"set=1\npublic_key={PeerA}\n");
        // Valid lines, but more of them than any sane request: stream until the server gives up.
        string chunk = string.Concat(Enumerable.Repeat("allowed_ip=10.0.0.0/8\n", 10_000));
        Assert.Throws<SocketException>(() =>
        {
            for (long sent = 0; sent < 2L * UapiLimits.MaxRequestBytes; sent += chunk.Length) s.Send(chunk);
        });
        Assert.Empty(_device.Updates);
        AssertServerStillWorks();
    }

    [Fact]
    public void ClientLeavingMidRequestChangesNothing()
    {
        using var server = StartServer();
        using (var s = new UapiTestSocket(SocketPath))
            s.Send($"set=1\nlisten_port=1\npublic_key={PeerA}\nallowed_ip=10.0.0.0/8\n"); // no blank line
        AssertServerStillWorks();
        // The old connection is served concurrently with the new one: its end may be noticed a moment later.
        Assert.True(SpinWait.SpinUntil(() => _log.All.Contains("nothing was applied"), TimeSpan.FromSeconds(10)), _log.All);
        Assert.Empty(_device.Updates);
    }

    [Fact]
    public void HalfClosedIncompleteRequestGetsEproto()
    {
        using var server = StartServer();
        using var s = new UapiTestSocket(SocketPath);
        s.Send("set=1\nlisten_port=1\n");
        s.ShutdownSend();
        Assert.Equal("errno=-71\n\n", s.ReadReply());
        Assert.Empty(_device.Updates);
    }

    [Fact]
    public void StalledRequestTimesOut()
    {
        using var server = StartServer(requestTimeout: TimeSpan.FromMilliseconds(300));
        using var s = new UapiTestSocket(SocketPath);
        s.Send("set=1\nlisten_port=1\n");
        Assert.True(s.IsClosedByPeer());
        Assert.Empty(_device.Updates);
    }

    [Fact]
    public void ConnectAndLeaveIsHarmless() // wg(8) probes sockets this way when listing interfaces
    {
        using var server = StartServer();
        for (int i = 0; i < 20; i++) new UapiTestSocket(SocketPath).Dispose();
        AssertServerStillWorks();
        Assert.DoesNotContain(_log.Entries, e => e.Level >= LogLevel.Warning);
    }

    [Fact]
    public async Task ManyConcurrentClients()
    {
        using var server = StartServer();
        var tasks = Enumerable.Range(1, 40).Select(i => Task.Run(async () =>
        {
            var client = new UapiClient(SocketPath);
            var key = new Key(Enumerable.Repeat((byte)i, 32).ToArray());
            var result = await client.SetAsync($"public_key={key.ToHex()}\nallowed_ip=10.0.{i}.0/24\n");
            Assert.True(result.IsOk);
            await client.GetAsync();
        })).ToArray();
        await Task.WhenAll(tasks).WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(40, _device.Updates.Count);
        Assert.Equal(40, new UapiClient(SocketPath).Get().Peers.Count);
    }

    [Fact]
    public void IdleClientDoesNotBlockOthers()
    {
        using var server = StartServer();
        using var idle = new UapiTestSocket(SocketPath);
        idle.Send("set=1\n"); // started, then silent
        AssertServerStillWorks();
    }

    [Fact]
    public void GetStatusFailureIsReportedNotThrown()
    {
        using var server = StartServer();
        _device.ThrowOnGetStatus = new InvalidOperationException("boom");
        using var s = new UapiTestSocket(SocketPath);
        s.Send("get=1\n\n");
        Assert.Equal("errno=-55\n\n", s.ReadReply());
        _device.ThrowOnGetStatus = null;
        AssertServerStillWorks();
    }

    [Fact]
    public void StaleSocketIsReplaced()
    {
        Directory.CreateDirectory(_directory);
        // A socket file whose owner is gone (.NET would delete the file on Dispose, python does not).
        using (var python = System.Diagnostics.Process.Start("python3", ["-c", $"import socket; socket.socket(socket.AF_UNIX).bind('{SocketPath}')"]))
            python.WaitForExit();
        Assert.True(File.Exists(SocketPath));
        using var server = StartServer();
        AssertServerStillWorks();
        Assert.Empty(Directory.GetFiles(_directory, "*.tmp", new EnumerationOptions { AttributesToSkip = 0 }));
    }

    [Fact]
    public void LiveSocketIsNotStolen()
    {
        using var first = StartServer();
        var ex = Assert.Throws<UapiSocketInUseException>(() => UapiServer.StartAt(SocketPath, new FakeDeviceControl(), _log));
        Assert.Equal(SocketPath, ex.SocketPath);
        AssertServerStillWorks();
    }

    [Fact]
    public void DeletingTheSocketIsNoticed()
    {
        using var server = StartServer();
        Assert.False(server.SocketRemoved.IsCancellationRequested);
        using var removed = new ManualResetEventSlim();
        server.SocketRemoved.Register(removed.Set);
        File.Delete(SocketPath);
        Assert.True(removed.Wait(TimeSpan.FromSeconds(10)));

        // Someone else now serves the path; our Dispose must leave their socket alone.
        using var successor = UapiServer.StartAt(SocketPath, new FakeDeviceControl(), _log);
        server.Dispose();
        AssertServerStillWorks();
    }

    [Fact]
    public void DisposeWhileClientsAreConnected()
    {
        var server = StartServer();
        using var s = new UapiTestSocket(SocketPath);
        s.Send("set=1\n");
        server.Dispose();
        Assert.True(s.IsClosedByPeer());
        Assert.False(File.Exists(SocketPath));
        Assert.Empty(_device.Updates);
    }

    [Fact]
    public async Task ExtendedGetAgainstAPlainDaemonIsReportedClearly()
    {
        // A server that, like wireguard-go, closes the connection on an unknown operation.
        Directory.CreateDirectory(_directory);
        using var listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        listener.Bind(new UnixDomainSocketEndPoint(SocketPath));
        listener.Listen();
        var serve = Task.Run(() => { using var c = listener.Accept(); c.Receive(new byte[64]); });
        var ex = Assert.Throws<UapiProtocolException>(() => new UapiClient(SocketPath).Get(extensions: true));
        Assert.Contains("get=wgsharp", ex.Message);
        await serve.WaitAsync(TimeSpan.FromSeconds(10));
    }

    [Fact]
    public void ClientSetBodyValidation()
    {
        var client = new UapiClient(SocketPath);
        Assert.Throws<ArgumentException>(() => client.Set("listen_port=1\n\nfwmark=1\n"));
        Assert.Throws<ArgumentException>(() => client.Set("\nlisten_port=1\n"));
    }

    [Fact]
    public void ClientReportsMissingSocketAsIOException() =>
        Assert.Throws<IOException>(() => new UapiClient(Path.Combine(_directory, "none.sock")).Get());

    private void AssertServerStillWorks()
    {
        using var s = new UapiTestSocket(SocketPath);
        s.Send("get=1\n\n");
        Assert.EndsWith("errno=0\n\n", s.ReadReply());
    }
}
