using System.Diagnostics;
using System.Globalization;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Runtime.Versioning;
using System.Security.Cryptography;
using System.Text;
using WgSharp.Keys;
using WgSharp.Linux;
using WgSharp.Tests.BsdCli;
using WgSharp.Tests.Integration.Infrastructure;

namespace WgSharp.Tests.Uapi;

/// <summary>
/// Issue 21 round 2: the wg client (`wgsharp set`, `wgsharp show`) makes no text of a private or preshared key on
/// its heap: it builds set requests and reads get replies in locked, no-dump memory zeroed after use. Checked on a
/// core image (gcore) of a client held mid-exchange by a fake daemon: after it sent its set request (with both keys,
/// read from key files, or from a configuration file by setconf), after it read the lines of a get reply that carry
/// both keys, and while it prints them (dump, showconf, preshared-keys, the report, private-key), blocked on a full stdout pipe.
/// </summary>
[Trait(TestTiers.Name, TestTiers.Root)]
[Collection(NetnsCollection.Name)]
[SupportedOSPlatform("linux")]
public sealed class UapiClientKeyTextTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("wgsn-client-keys-").FullName;
    private readonly string _name = TestNames.NewInterface();
    private readonly Key _privateKey = KeyGenerator.GeneratePrivateKey();
    private readonly Key _presharedKey = KeyGenerator.GeneratePresharedKey();
    private readonly Key _peer = KeyGenerator.DerivePublicKey(KeyGenerator.GeneratePrivateKey());

    [Fact]
    public void AClientThatSentASetRequestHoldsNoKeyText()
    {
        var privateFile = KeyFile("private.key", _privateKey);
        var presharedFile = KeyFile("psk.key", _presharedKey);
        using var daemon = new HoldingDaemon(_name, reply: "");
        var client = StartClient("set", _name, "private-key", privateFile, "peer", _peer.ToBase64(), "preshared-key", presharedFile);
        string request = daemon.WaitForRequest();
        Assert.Contains("private_key=" + _privateKey.ToHex(), request, StringComparison.Ordinal); // it did send both keys
        Assert.Contains("preshared_key=" + _presharedKey.ToHex(), request, StringComparison.Ordinal);
        AssertNoKeyText(client);
    }

    [Fact]
    public void AClientThatSentAConfigurationFileHoldsNoKeyText()
    {
        var config = Path.Combine(_directory, "wg.conf");
        File.WriteAllText(config, $"[Interface]\nPrivateKey = {_privateKey.ToBase64()}\nListenPort = 51820\n\n" +
            $"[Peer]\nPublicKey = {_peer.ToBase64()}\nPresharedKey = {_presharedKey.ToBase64()}\nAllowedIPs = 10.0.0.2/32\n");
        File.SetUnixFileMode(config, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        using var daemon = new HoldingDaemon(_name, reply: "");
        var client = StartClient("setconf", _name, config);
        string request = daemon.WaitForRequest();
        Assert.Contains("private_key=" + _privateKey.ToHex(), request, StringComparison.Ordinal);
        Assert.Contains("preshared_key=" + _presharedKey.ToHex(), request, StringComparison.Ordinal);
        AssertNoKeyText(client);
    }

    [Fact]
    public void AClientReadingAGetReplyHoldsNoKeyText()
    {
        string reply = $"private_key={_privateKey.ToHex()}\nlisten_port=51820\npublic_key={_peer.ToHex()}\n" +
            $"preshared_key={_presharedKey.ToHex()}\nprotocol_version=1\nallowed_ip=10.0.0.2/32\n";
        using var daemon = new HoldingDaemon(_name, reply);
        var client = StartClient("show", _name, "dump");
        daemon.WaitForRequest();
        daemon.WaitUntilReplyRead();
        // The client blocks for the rest of the reply: give it the moment to parse what it read (too short only
        // makes this test pass when it should not, never fail when it should pass).
        Thread.Sleep(500);
        AssertNoKeyText(client);
    }

    /// <summary>
    /// The output side: the client prints both keys (dump, showconf, preshared-keys, the report with WG_HIDE_KEYS=never)
    /// for 3,000 peers, more than stdout's pipe holds; the test reads nothing, so the client blocks in write() with the
    /// keys formatted, and its core image is taken there. Before the fix each output was one managed string.
    /// </summary>
    [Theory]
    [InlineData("show", "dump")]
    [InlineData("showconf", null)]
    [InlineData("show", "preshared-keys")]
    [InlineData("show", null)]
    public void AClientPrintingKeysHoldsNoKeyText(string command, string? field)
    {
        var reply = new StringBuilder($"private_key={_privateKey.ToHex()}\nlisten_port=51820\n");
        reply.Append(CultureInfo.InvariantCulture, $"public_key={_peer.ToHex()}\npreshared_key={_presharedKey.ToHex()}\nallowed_ip=10.0.0.2/32\n");
        for (int i = 0; i < 3000; i++)
            reply.Append(CultureInfo.InvariantCulture, $"public_key={Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(Key.Size))}\nallowed_ip=10.1.{i / 256}.{i % 256}/32\n");
        reply.Append("errno=0\n\n");
        using var daemon = new HoldingDaemon(_name, reply.ToString());
        string[] args = field is null ? [command, _name] : [command, _name, field];
        var client = StartClient(new Dictionary<string, string> { ["WG_HIDE_KEYS"] = "never" }, args);
        daemon.WaitForRequest();
        WaitUntilBlockedWritingOutput(client);
        AssertNoKeyText(client);
        string output = client.StandardOutput.ReadToEnd(); // lets it finish: it did print the keys
        if (field != "preshared-keys") Assert.Contains(_privateKey.ToBase64(), output, StringComparison.Ordinal);
        Assert.Contains(_presharedKey.ToBase64(), output, StringComparison.Ordinal);
        Assert.True(client.WaitForExit(TimeSpan.FromSeconds(30)));
        Assert.Equal(0, client.ExitCode);
    }

    /// <summary>
    /// `show private-key` prints one line, which an empty pipe takes whole, so the client would exit before its core
    /// is taken. Its stdout here is a FIFO the test filled to capacity before starting it: the client's one write()
    /// blocks with the key formatted, and its core image is taken there; then the test drains the FIFO and finds the key.
    /// </summary>
    [Fact]
    public void AClientPrintingOnlyThePrivateKeyHoldsNoKeyText()
    {
        string reply = $"private_key={_privateKey.ToHex()}\nlisten_port=51820\npublic_key={_peer.ToHex()}\n" +
            $"preshared_key={_presharedKey.ToHex()}\nallowed_ip=10.0.0.2/32\nerrno=0\n\n";
        using var daemon = new HoldingDaemon(_name, reply);
        using var output = FullFifo.Create(Path.Combine(_directory, "stdout"));
        var (program, prefix) = WgSharpCli.Command;
        // The shell opens the FIFO as the client's stdout (a reader exists: the test's), then becomes the client.
        var client = StartClient(new Dictionary<string, string>(), "sh", ["-c", "exec \"$0\" \"$@\" > \"$WGSN_FIFO\"", program, .. prefix, "show", _name, "private-key"],
            ("WGSN_FIFO", output.Path));
        daemon.WaitForRequest();
        WaitUntilBlockedWritingOutput(client);
        AssertNoKeyText(client);
        string printed = output.DrainUntilWritersClose();
        Assert.Equal(_privateKey.ToBase64() + "\n", printed); // it did print the key, and only it
        Assert.True(client.WaitForExit(TimeSpan.FromSeconds(30)));
        Assert.Equal(0, client.ExitCode);
    }

    /// <summary>Until one of the client's threads sleeps in (anon_)pipe_write: stdout's pipe is full and nobody reads it.</summary>
    private static void WaitUntilBlockedWritingOutput(Process client)
    {
        var clock = Stopwatch.StartNew();
        while (!Directory.EnumerateDirectories($"/proc/{client.Id}/task").Any(task => ReadOrEmpty(Path.Combine(task, "wchan")).EndsWith("pipe_write", StringComparison.Ordinal)))
        {
            Assert.False(client.HasExited, "the client exited before filling its output pipe");
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(60), "the client never blocked writing its output");
            Thread.Sleep(20);
        }
    }

    private static string ReadOrEmpty(string path)
    {
        try { return File.ReadAllText(path).Trim(); }
        catch (IOException) { return ""; }
    }

    private void AssertNoKeyText(Process client)
    {
        Assert.False(client.HasExited, client.HasExited ? client.StandardError.ReadToEnd() : "");
        var core = Path.Combine(_directory, "core");
        var gdb = CommandRunner.Run("gdb", ["-p", client.Id.ToString(CultureInfo.InvariantCulture), "-batch", "-nx", "-ex", $"gcore {core}"], TimeSpan.FromMinutes(2));
        Assert.True(File.Exists(core), gdb.StandardOutput + gdb.StandardError);
        var image = File.ReadAllBytes(core);
        var found = new List<string>();
        foreach (var (name, key) in new[] { ("private key", _privateKey), ("preshared key", _presharedKey) })
            foreach (var (form, text) in new[] { ("hex", key.ToHex()), ("base64", key.ToBase64()) })
                foreach (var (encoding, bytes) in new[] { ("UTF-8", Encoding.UTF8.GetBytes(text)), ("UTF-16", Encoding.Unicode.GetBytes(text)) })
                {
                    int count = 0;
                    for (int at = 0, hit; (hit = image.AsSpan(at).IndexOf(bytes)) >= 0; at += hit + 1) count++;
                    if (count > 0) found.Add($"{name} {form} {encoding} x{count}");
                }
        Assert.True(found.Count == 0, "key text in the client's core image: " + string.Join(", ", found));
    }

    private string KeyFile(string name, Key key)
    {
        var path = Path.Combine(_directory, name);
        File.WriteAllText(path, key.ToBase64() + "\n");
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        return path;
    }

    private readonly List<Process> _clients = [];

    private Process StartClient(params string[] args) => StartClient(new Dictionary<string, string>(), args);

    private Process StartClient(Dictionary<string, string> environment, params string[] args)
    {
        var (program, prefix) = WgSharpCli.Command;
        return StartClient(environment, program, [.. prefix, .. args]);
    }

    private Process StartClient(Dictionary<string, string> environment, string program, string[] args, params (string Name, string Value)[] more)
    {
        var start = new ProcessStartInfo(program) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var (name, value) in environment) start.Environment[name] = value;
        foreach (var (name, value) in more) start.Environment[name] = value;
        foreach (var word in args) start.ArgumentList.Add(word);
        var client = Process.Start(start)!;
        _clients.Add(client);
        return client;
    }

    public void Dispose()
    {
        foreach (var client in _clients)
        {
            if (!client.WaitForExit(TimeSpan.FromSeconds(10))) client.Kill();
            client.Dispose();
        }
        Directory.Delete(_directory, recursive: true);
    }

    /// <summary>
    /// A UAPI socket that reads one request, sends <c>reply</c> (without the errno line and blank line that end it),
    /// and holds the client there until disposed, then ends the reply with errno=0.
    /// </summary>
    private sealed class HoldingDaemon : IDisposable
    {
        private readonly Socket _listener = new(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        private readonly string _path;
        private readonly string _reply;
        private readonly TaskCompletionSource<(Socket Connection, string Request)> _received = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly Thread _thread;

        public HoldingDaemon(string name, string reply)
        {
            _path = $"/var/run/wireguard/{name}.sock";
            Directory.CreateDirectory("/var/run/wireguard");
            _reply = reply;
            _listener.Bind(new UnixDomainSocketEndPoint(_path));
            _listener.Listen();
            _thread = new Thread(Serve) { IsBackground = true };
            _thread.Start();
        }

        private void Serve()
        {
            try
            {
                while (true)
                {
                    var connection = _listener.Accept();
                    var request = new StringBuilder();
                    var one = new byte[1];
                    while (!request.ToString().EndsWith("\n\n", StringComparison.Ordinal) && connection.Receive(one) == 1) request.Append((char)one[0]);
                    if (request.ToString().StartsWith("get=wgsharp", StringComparison.Ordinal))
                    {
                        connection.Dispose(); // as wireguard-go does: the client falls back to get=1
                        continue;
                    }
                    connection.Send(Encoding.UTF8.GetBytes(_reply));
                    _received.TrySetResult((connection, request.ToString()));
                    return;
                }
            }
            catch (Exception e) when (e is SocketException or ObjectDisposedException) { _received.TrySetException(e); }
        }

        public string WaitForRequest()
        {
            Assert.True(_received.Task.Wait(TimeSpan.FromSeconds(30)), "the client sent no request");
            return _received.Task.Result.Request;
        }

        /// <summary>Until the client has read every byte sent (the connection's send queue is empty).</summary>
        public void WaitUntilReplyRead()
        {
            var connection = _received.Task.Result.Connection;
            var clock = Stopwatch.StartNew();
            while (OutputQueue(connection) > 0)
            {
                Assert.True(clock.Elapsed < TimeSpan.FromSeconds(30), "the client did not read the reply");
                Thread.Sleep(10);
            }
        }

        private static unsafe int OutputQueue(Socket socket)
        {
            const int SIOCOUTQ = 0x5411;
            int queued;
            Assert.Equal(0, Ioctl((int)socket.Handle, SIOCOUTQ, &queued));
            return queued;
        }

        [DllImport("libc", EntryPoint = "ioctl", SetLastError = true)]
        private static extern unsafe int Ioctl(int fd, nuint request, int* value);

        public void Dispose()
        {
            if (_received.Task.IsCompletedSuccessfully)
            {
                var connection = _received.Task.Result.Connection;
                try { connection.Send("errno=0\n\n"u8.ToArray()); } catch (SocketException) { }
                connection.Dispose();
            }
            _listener.Dispose();
            File.Delete(_path);
        }
    }

    /// <summary>
    /// A named pipe the test holds the read end of, filled to capacity before anyone else opens it for writing, so a
    /// writer's first write() blocks until <see cref="DrainUntilWritersClose"/> reads.
    /// </summary>
    private sealed class FullFifo : IDisposable
    {
        private const int ReadOnly = 0, WriteOnly = 1, NonBlocking = 0x800, EAGAIN = 11;
        private int _reader;
        private int _filled;

        private FullFifo(string path) => Path = path;

        public string Path { get; }

        public static FullFifo Create(string path)
        {
            Assert.Equal(0, MakeFifo(path, Convert.ToUInt32("600", 8)));
            var fifo = new FullFifo(path) { _reader = Open(path, ReadOnly | NonBlocking) };
            Assert.True(fifo._reader >= 0, "cannot open the FIFO for reading");
            int writer = Open(path, WriteOnly | NonBlocking);
            Assert.True(writer >= 0, "cannot open the FIFO for writing");
            var filler = new byte[4096];
            filler.AsSpan().Fill((byte)'.');
            while (true)
            {
                nint n = Write(writer, filler, filler.Length);
                if (n > 0) { fifo._filled += (int)n; continue; }
                Assert.Equal(EAGAIN, Marshal.GetLastPInvokeError()); // full: what a blocked writer needs
                break;
            }
            Close(writer); // the test's read end keeps the FIFO, and what it holds, alive
            return fifo;
        }

        /// <summary>Reads everything, until the last writer closed; returns what came after the filler.</summary>
        public string DrainUntilWritersClose()
        {
            var all = new MemoryStream();
            var buffer = new byte[65536];
            var clock = Stopwatch.StartNew();
            while (true)
            {
                nint n = Read(_reader, buffer, buffer.Length);
                if (n > 0) { all.Write(buffer, 0, (int)n); continue; }
                if (n == 0) break; // no writer left: the client exited
                Assert.Equal(EAGAIN, Marshal.GetLastPInvokeError());
                Assert.True(clock.Elapsed < TimeSpan.FromSeconds(30), "the client never closed its output");
                Thread.Sleep(10);
            }
            var bytes = all.ToArray();
            Assert.True(bytes.Length >= _filled && bytes.AsSpan(0, _filled).IndexOfAnyExcept((byte)'.') < 0);
            return Encoding.UTF8.GetString(bytes, _filled, bytes.Length - _filled);
        }

        public void Dispose()
        {
            if (_reader > 0) Close(_reader);
            _reader = -1;
            File.Delete(Path);
        }

        [DllImport("libc", EntryPoint = "mkfifo", SetLastError = true)]
        private static extern int MakeFifo(string path, uint mode);

        [DllImport("libc", EntryPoint = "open", SetLastError = true)]
        private static extern int Open(string path, int flags);

        [DllImport("libc", EntryPoint = "write", SetLastError = true)]
        private static extern nint Write(int fd, byte[] buffer, nint count);

        [DllImport("libc", EntryPoint = "read", SetLastError = true)]
        private static extern nint Read(int fd, byte[] buffer, nint count);

        [DllImport("libc", EntryPoint = "close", SetLastError = true)]
        private static extern int Close(int fd);
    }
}
