using System.Net;
using System.Net.Sockets;
using System.Text;
using Microsoft.Extensions.Logging;
using WgSharp.Cli.Daemon;
using WgSharp.Cli.Wg;
using WgSharp.Configuration;
using WgSharp.Control.Uapi;
using WgSharp.Device;
using WgSharp.Keys;

namespace WgSharp.Tests.Robustness;

/// <summary>
/// Fuzz targets for what arrives over a socket: the UAPI framing as the daemon serves it (raw bytes on a real
/// connection: operation lines, UTF-8, what follows `get=1`, several requests in a row), the `get` reply as the
/// CLI parses and prints it (a daemon, or whatever sits at the socket path, may answer anything), and the metrics
/// endpoint's HTTP request. Servers start once per process and every input is one fresh connection.
/// </summary>
public static class FuzzParsersControl
{
    /// <summary>Longer than any request the servers accept, short enough to keep one execution fast.</summary>
    private const int MaxInputBytes = 256 * 1024;
    private static readonly TimeSpan ReplyTimeout = TimeSpan.FromSeconds(10);

    private static readonly Lazy<(UapiServer Server, ErrorRecordingLogger Logger)> Uapi = new(StartUapi);
    private static readonly Lazy<(IPEndPoint Endpoint, ErrorRecordingLogger Logger)> Metrics = new(StartMetrics);
    private static readonly MetricsAccess JudgeAccess = new(IPAddress.Loopback, checkHost: true, ["metrics.example"], System.Security.Cryptography.SHA256.HashData("token"u8));

    /// <summary>"uapiframe": the input is sent as-is to the daemon's UAPI socket; the server must answer or hang up, never fail.</summary>
    public static void UapiFrame(ReadOnlySpan<byte> input)
    {
        var (server, logger) = Uapi.Value;
        using var client = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        client.Connect(new UnixDomainSocketEndPoint(server.SocketPath));
        Exchange(client, input);
        logger.ThrowIfFailed("the UAPI server");
    }

    /// <summary>"metrics": the input is sent as-is to the metrics endpoint; it must answer with an HTTP status line or hang up.</summary>
    public static void MetricsRequest(ReadOnlySpan<byte> input)
    {
        // The request judge itself first (pure, never throws): the coverage the live exchange below hides behind I/O.
        _ = WgSharp.Cli.Daemon.MetricsRequest.Judge(input, JudgeAccess);
        var (endpoint, logger) = Metrics.Value;
        using var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        client.Connect(endpoint);
        var reply = Exchange(client, input);
        if (reply.Length > 0 && !reply.AsSpan().StartsWith("HTTP/1.1 "u8)) throw new InvalidOperationException("the metrics endpoint answered without a status line");
        logger.ThrowIfFailed("the metrics endpoint");
    }

    /// <summary>
    /// "getreply": the input as the reply to `get=1`, parsed as the CLI does (a malformed one must be a
    /// <see cref="UapiProtocolException"/>), then printed every way `wg show`/`showconf`/`show json` print it.
    /// </summary>
    public static void GetReply(ReadOnlySpan<byte> input)
    {
        DeviceStatus status;
        try { status = UapiGetParser.Parse("wg0", Encoding.UTF8.GetString(input)); }
        catch (UapiProtocolException) { return; }
        var now = new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
        using (var output = new KeyTextOutput(Stream.Null))
        {
            WgShowFormatter.Pretty(status, now, TerminalColors.Ansi, output, showKeys: true);
            WgShowFormatter.Dump(status, withInterface: true, output);
            foreach (string field in WgShowFormatter.Fields) WgShowFormatter.Field(status, field, withInterface: false, output);
            WgConfFormatter.Format(status, output);
        }
        _ = StatusJson.Interface(status, now);
        status.ClearSecrets();
    }

    /// <summary>Seeds: requests in a row, a get with a trailing byte, a set, an unknown operation; a full get reply; scrapes.</summary>
    public static IEnumerable<(string Target, string Name, byte[] Bytes)> Seeds(string publicKeyBase64)
    {
        string hex = Convert.ToHexStringLower(Convert.FromBase64String(publicKeyBase64));
        yield return ("uapiframe", "get-get", "get=1\n\nget=1\n\n"u8.ToArray());
        yield return ("uapiframe", "get-extended", "get=2\n\n"u8.ToArray());
        yield return ("uapiframe", "get-trailing", "get=1\nx\n"u8.ToArray());
        yield return ("uapiframe", "set-then-get", Encoding.UTF8.GetBytes(
            $"set=1\nlisten_port=51820\npublic_key={hex}\nallowed_ip=10.0.0.0/8\ndescription=caf\u00e9\n\nget=1\n\n"));
        yield return ("uapiframe", "bad-op", "put=1\n\n"u8.ToArray());
        yield return ("uapiframe", "not-utf8", [.. "set=1\ndescription="u8, 0xC3, 0x28, .. "\n\n"u8]);
        yield return ("getreply", "full", Encoding.UTF8.GetBytes(
            $"private_key={hex}\nlisten_port=51820\nfwmark=7\npublic_key={hex}\npreshared_key={hex}\nprotocol_version=1\n" +
            "endpoint=[2001:db8::1]:51820\nlast_handshake_time_sec=1700000000\nlast_handshake_time_nsec=5\ntx_bytes=1\nrx_bytes=2\n" +
            "persistent_keepalive_interval=25\nallowed_ip=10.0.0.0/8\nallowed_ip=fd00::/64\nerrno=0\n\n"));
        yield return ("getreply", "errno", "errno=22\n\n"u8.ToArray());
        yield return ("metrics", "scrape", "GET /metrics HTTP/1.1\r\nHost: 127.0.0.1:9586\r\nAccept: */*\r\n\r\n"u8.ToArray());
        yield return ("metrics", "query", "GET /metrics?x=1 HTTP/1.0\r\n\r\n"u8.ToArray());
        yield return ("metrics", "post", "POST /metrics HTTP/1.1\r\nContent-Length: 3\r\n\r\nabc"u8.ToArray());
        yield return ("metrics", "cut", "GET /metr"u8.ToArray());
    }

    /// <summary>Sends everything, half-closes, and reads the reply until the server hangs up.</summary>
    private static byte[] Exchange(Socket client, ReadOnlySpan<byte> input)
    {
        client.ReceiveTimeout = client.SendTimeout = (int)ReplyTimeout.TotalMilliseconds;
        if (input.Length > MaxInputBytes) input = input[..MaxInputBytes];
        // The server may hang up before it has read everything (a bad operation line): that is an answer too.
        try
        {
            client.Send(input);
            client.Shutdown(SocketShutdown.Send);
        }
        catch (SocketException e) when (e.SocketErrorCode is SocketError.ConnectionReset or SocketError.Shutdown or SocketError.ConnectionAborted) { }

        using var reply = new MemoryStream();
        var buffer = new byte[16384];
        while (true)
        {
            int read;
            try { read = client.Receive(buffer); }
            catch (SocketException e) when (e.SocketErrorCode == SocketError.ConnectionReset) { break; }
            // A timeout here is a finding: the server neither answered nor hung up.
            if (read == 0) break;
            if (reply.Length < 1 << 20) reply.Write(buffer, 0, read);
        }
        return reply.ToArray();
    }

    private static (UapiServer, ErrorRecordingLogger) StartUapi()
    {
        var logger = new ErrorRecordingLogger();
        string directory = Directory.CreateTempSubdirectory("wgsharp-fuzz-").FullName;
        var server = UapiServer.StartAt(Path.Combine(directory, "wgfuzz0.sock"), new FixedDevice(), logger);
        return (server, logger);
    }

    private static (IPEndPoint, ErrorRecordingLogger) StartMetrics()
    {
        var logger = new ErrorRecordingLogger();
        int port;
        using (var probe = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp))
        {
            probe.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            port = ((IPEndPoint)probe.LocalEndPoint!).Port;
        }
        // The endpoint starts only from the environment (until it has a pure parser to call): set it for the start alone,
        // so the processes other tests start in this process do not inherit a metrics port.
        string? before = Environment.GetEnvironmentVariable(MetricsEndpoint.EnvironmentVariable);
        Environment.SetEnvironmentVariable(MetricsEndpoint.EnvironmentVariable, $"127.0.0.1:{port}");
        try
        {
            // Both live for the whole process, as in the daemon.
            var metrics = new WireGuardMetrics();
            _ = MetricsEndpoint.StartFromEnvironment(metrics, logger);
        }
        finally
        {
            Environment.SetEnvironmentVariable(MetricsEndpoint.EnvironmentVariable, before);
        }
        return (new IPEndPoint(IPAddress.Loopback, port), logger);
    }

    /// <summary>A device with one peer of every kind of field, which accepts every well-formed update and keeps none.</summary>
    private sealed class FixedDevice : IDeviceControl
    {
        private static readonly Key Peer = KeyGenerator.DerivePublicKey(KeyGenerator.ClampPrivateKey(new Key(Enumerable.Repeat((byte)0x33, 32).ToArray())));

        public string InterfaceName => "wgfuzz0";

        public DeviceStatus GetStatus() => new()
        {
            InterfaceName = InterfaceName,
            PrivateKey = KeyGenerator.ClampPrivateKey(new Key(Enumerable.Repeat((byte)0x44, 32).ToArray())),
            ListenPort = 51820,
            FwMark = 7,
            Peers =
            [
                new PeerStatus
                {
                    PublicKey = Peer,
                    Endpoint = new IPEndPoint(IPAddress.Parse("2001:db8::1"), 51820),
                    PersistentKeepalive = 25,
                    LastHandshake = new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero),
                    RxBytes = 1,
                    TxBytes = 2,
                    AllowedIps = [new IpPrefix(IPAddress.Parse("10.0.0.0"), 8), new IpPrefix(IPAddress.Parse("fd00::"), 64)],
                    Description = "fuzz peer",
                },
            ],
        };

        public ConfigResult Apply(DeviceUpdate update) => ConfigResult.Ok;
    }

    /// <summary>Remembers the first error a server logged: servers catch what a handler throws, so the log is where a crash shows.</summary>
    private sealed class ErrorRecordingLogger : ILogger
    {
        private volatile string? _firstError;

        public void ThrowIfFailed(string what)
        {
            if (_firstError is { } error) throw new InvalidOperationException($"{what} logged an error: {error}");
        }

        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;
        public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Error;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (logLevel >= LogLevel.Error) _firstError ??= formatter(state, exception) + (exception is null ? "" : "\n" + exception);
        }
    }
}
