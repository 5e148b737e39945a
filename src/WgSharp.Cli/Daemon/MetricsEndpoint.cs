using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using Microsoft.Extensions.Logging;
using WgSharp.Control.Uapi;
using WgSharp.Device;

namespace WgSharp.Cli.Daemon;

/// <summary>
/// The daemon's opt-in Prometheus endpoint (`wgsharp -f IFNAME --metrics ADDR:PORT`, or WGSHARP_METRICS=ADDR:PORT
/// for any start): the <see cref="WireGuardMetrics"/> meter as Prometheus text (<see cref="PrometheusExposition"/>)
/// at http://ADDR:PORT/metrics. A bare PORT listens on loopback only; `unix:/PATH` listens on a Unix socket (mode
/// 0660, root's: only root and the socket's group can scrape). The exposition names every peer's key, allowed IPs
/// and traffic, so who may connect matters (docs/observability.md, "Who can read the metrics"): a Host header other
/// than the listen address, localhost or a name in WGSHARP_METRICS_HOSTS is refused (DNS rebinding), and
/// WGSHARP_METRICS_TOKEN_FILE makes every scrape carry `Authorization: Bearer TOKEN`. The HTTP side is
/// <see cref="MetricsServer"/>; hand-written rather than OpenTelemetry's exporter, whose HttpListener and SDK cost
/// more memory than the whole daemon (docs/observability.md).
/// </summary>
internal static partial class MetricsEndpoint
{
    public const string EnvironmentVariable = "WGSHARP_METRICS";
    public const string HostsVariable = "WGSHARP_METRICS_HOSTS";
    public const string TokenFileVariable = "WGSHARP_METRICS_TOKEN_FILE";
    public const string Option = "--metrics";
    private const string UnixPrefix = "unix:";
    private const int MaxTokenFileBytes = 4096;

    /// <summary>
    /// The listener's address and port for "PORT" (loopback), "ADDR:PORT" or "[ADDR6]:PORT"; false with a reason
    /// otherwise. A null address is every address of both families (0.0.0.0 and [::] both ask for that).
    /// </summary>
    public static bool TryParse(string text, out IPAddress? address, out int port, out string? error)
    {
        address = null;
        port = 0;
        error = null;
        IPEndPoint? endpoint = null;
        if (ushort.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out ushort bare))
            endpoint = new IPEndPoint(IPAddress.Loopback, bare);
        else if (text.Contains(':') && IPEndPoint.TryParse(text, out var parsed) && (text[0] == '[' || parsed.Address.AddressFamily == AddressFamily.InterNetwork))
            endpoint = parsed;
        if (endpoint is null || endpoint.Port == 0)
        {
            error = $"{text}: not PORT, ADDRESS:PORT or unix:/PATH";
            return false;
        }
        bool every = endpoint.Address.Equals(IPAddress.Any) || endpoint.Address.Equals(IPAddress.IPv6Any);
        address = every ? null : endpoint.Address;
        port = endpoint.Port;
        return true;
    }

    /// <summary>Starts serving when WGSHARP_METRICS is set; null when it is not. Throws (with a user-facing message) when it cannot.</summary>
    public static IDisposable? StartFromEnvironment(WireGuardMetrics metrics, ILogger logger)
    {
        if (Environment.GetEnvironmentVariable(EnvironmentVariable) is not { Length: > 0 } text) return null;
        _ = metrics; // the meter exists while the daemon runs; the exposition listens to it by name
        return Start(text, Environment.GetEnvironmentVariable(HostsVariable), Environment.GetEnvironmentVariable(TokenFileVariable),
            WireGuardMetrics.MeterName, logger);
    }

    /// <summary>
    /// Serves the meter <paramref name="meterName"/> at <paramref name="text"/> (WGSHARP_METRICS's grammar), answering
    /// the names in <paramref name="hosts"/> too and requiring the token in <paramref name="tokenFile"/> when given.
    /// Throws <see cref="MetricsEndpointException"/> (one line, never the token) when it cannot.
    /// </summary>
    public static IDisposable Start(string text, string? hosts, string? tokenFile, string meterName, ILogger logger)
    {
        byte[]? tokenHash = ReadTokenHash(tokenFile);
        var names = ParseHosts(hosts);
        if (text.StartsWith(UnixPrefix, StringComparison.Ordinal))
        {
            string path = text[UnixPrefix.Length..];
            if (!path.StartsWith('/')) throw new MetricsEndpointException($"{EnvironmentVariable}: {text}: not PORT, ADDRESS:PORT or unix:/PATH");
            Socket unix;
            try { unix = ListenUnix(path); }
            catch (Exception e) when (e is SocketException or IOException or UnauthorizedAccessException)
            {
                throw new MetricsEndpointException($"cannot serve metrics on {text}: {e.Message}");
            }
            var access = new MetricsAccess(null, checkHost: false, names, tokenHash);
            return new Endpoint(unix, new PrometheusExposition(meterName), access, logger, path);
        }

        if (!TryParse(text, out var address, out int port, out var error)) throw new MetricsEndpointException($"{EnvironmentVariable}: {error}");
        Socket listener;
        try { listener = Listen(address, port); }
        catch (SocketException e)
        {
            throw new MetricsEndpointException($"cannot serve metrics on {text}: {e.Message}");
        }
        return new Endpoint(listener, new PrometheusExposition(meterName), new MetricsAccess(address, checkHost: true, names, tokenHash), logger, null);
    }

    /// <summary>Serves <paramref name="exposition"/> on an already listening TCP socket until disposed, with the default rules for its address.</summary>
    internal static IDisposable Serve(Socket listener, PrometheusExposition exposition, ILogger logger)
    {
        var address = (listener.LocalEndPoint as IPEndPoint)?.Address;
        bool every = address is null || address.Equals(IPAddress.Any) || address.Equals(IPAddress.IPv6Any);
        return Serve(listener, exposition, new MetricsAccess(every ? null : address, checkHost: listener.LocalEndPoint is IPEndPoint, [], null), logger);
    }

    /// <summary>Serves <paramref name="exposition"/> on an already listening socket until disposed (tests and other commands start it this way).</summary>
    internal static IDisposable Serve(Socket listener, PrometheusExposition exposition, MetricsAccess access, ILogger logger, TimeProvider? time = null) =>
        new Endpoint(listener, exposition, access, logger, null, time);

    /// <summary>The host names of WGSHARP_METRICS_HOSTS (comma-separated DNS names); throws on a malformed one.</summary>
    internal static IReadOnlyList<string> ParseHosts(string? text)
    {
        if (string.IsNullOrWhiteSpace(text)) return [];
        var names = new List<string>();
        foreach (var raw in text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            if (raw.Length > 253 || !raw.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '-'))
                throw new MetricsEndpointException($"{HostsVariable}: '{raw}' is not a host name");
            names.Add(raw);
        }
        return names;
    }

    /// <summary>
    /// SHA-256 of the token in <paramref name="path"/> (one line; surrounding blanks and the newline dropped), or null
    /// without a path. The token itself is zeroed once hashed and never appears in a message.
    /// </summary>
    internal static byte[]? ReadTokenHash(string? path)
    {
        if (string.IsNullOrEmpty(path)) return null;
        byte[] bytes;
        try
        {
            using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 0);
            if (file.Length > MaxTokenFileBytes) throw new MetricsEndpointException($"{TokenFileVariable}: {path}: larger than {MaxTokenFileBytes} bytes");
            bytes = new byte[file.Length];
            file.ReadExactly(bytes);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new MetricsEndpointException($"{TokenFileVariable}: {path}: cannot read it: {e.Message}");
        }
        try
        {
            var token = bytes.AsSpan().Trim(" \t\r\n"u8);
            if (token.IsEmpty) throw new MetricsEndpointException($"{TokenFileVariable}: {path}: empty");
            foreach (byte b in token)
                if (b is <= 0x20 or >= 0x7F) throw new MetricsEndpointException($"{TokenFileVariable}: {path}: the token must be one word of printable ASCII");
            return SHA256.HashData(token);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(bytes);
        }
    }

    /// <summary>
    /// Serves the WireGuard meter at <paramref name="text"/> for `wgsharp proxy --metrics`, with the daemon's rules
    /// (WGSHARP_METRICS_HOSTS, WGSHARP_METRICS_TOKEN_FILE). Throws <see cref="MetricsEndpointException"/> when it cannot.
    /// </summary>
    public static IDisposable Start(string text, ILogger logger) =>
        Start(text, Environment.GetEnvironmentVariable(HostsVariable), Environment.GetEnvironmentVariable(TokenFileVariable), WireGuardMetrics.MeterName, logger);

    /// <summary>A listening TCP socket for <see cref="TryParse"/>'s address: null is every address, IPv4 included.</summary>
    private static Socket Listen(IPAddress? address, int port)
    {
        if (address is not null) return Bound(address, port);
        try { return Bound(IPAddress.IPv6Any, port, dualMode: true); }
        catch (SocketException e) when (e.SocketErrorCode != SocketError.AddressAlreadyInUse)
        {
            return Bound(IPAddress.Any, port); // no IPv6 on this host: every IPv4 address then
        }
    }

    private const int SolSocket = 1, SoReuseAddr = 2; // Linux <sys/socket.h>
    private const int Backlog = 128; // accepted quickly and evicted as needed: a full backlog would delay a scrape's SYN by a second

    private static Socket Bound(IPAddress address, int port, bool dualMode = false)
    {
        var socket = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            if (dualMode) socket.DualMode = true;
            // A restarted daemon must get its port back while the last scrape's connection is in TIME_WAIT: SO_REUSEADDR
            // alone, set raw. .NET's ReuseAddress also sets SO_REUSEPORT on Linux, which let a second daemon listen on
            // the same port and take every other scrape (issue 20); SO_REUSEADDR never lets two listeners share one.
            Span<byte> on = stackalloc byte[sizeof(int)];
            BitConverter.TryWriteBytes(on, 1);
            socket.SetRawSocketOption(SolSocket, SoReuseAddr, on);
            socket.Bind(new IPEndPoint(address, port));
            socket.Listen(Backlog);
            return socket;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>
    /// A Unix socket at <paramref name="path"/>, born mode 0660 (umask, no chmod window). A stale socket a killed
    /// daemon left is replaced; one that still answers, or anything that is not a socket, is an error.
    /// </summary>
    private static Socket ListenUnix(string path)
    {
        int type = FileType(path);
        if (type == SocketType_)
        {
            using (var probe = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified))
            {
                try
                {
                    probe.Connect(new UnixDomainSocketEndPoint(path));
                    throw new IOException("another program serves it");
                }
                catch (SocketException e) when (e.SocketErrorCode == SocketError.ConnectionRefused) { } // stale: ours to replace
            }
            File.Delete(path);
        }
        else if (type != 0) throw new IOException("it exists and is not a socket");
        var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            using (UnixFileCreationMask.Set(0x4F)) socket.Bind(new UnixDomainSocketEndPoint(path)); // umask 0117: born 0660
            socket.Listen(Backlog);
            return socket;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    private const int AtSymlinkNoFollow = 0x100, StatxType = 0x1, StatxModeOffset = 28, FileTypeMask = 0xF000, SocketType_ = 0xC000;

    [LibraryImport("libc", EntryPoint = "statx", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Statx(int dirfd, string pathname, int flags, uint mask, Span<byte> buffer);

    /// <summary>The S_IFMT bits of <paramref name="path"/> itself (a symlink is not followed); 0 when nothing is there.</summary>
    private static int FileType(string path)
    {
        Span<byte> buffer = stackalloc byte[256];
        const int AtFdCwd = -100;
        if (Statx(AtFdCwd, path, AtSymlinkNoFollow, StatxType, buffer) != 0) return 0;
        return BitConverter.ToUInt16(buffer[StatxModeOffset..]) & FileTypeMask;
    }

    /// <summary>A running endpoint: the server, its exposition, and the Unix socket file to remove.</summary>
    private sealed class Endpoint : IDisposable
    {
        private readonly MetricsServer _server;
        private readonly PrometheusExposition _exposition;
        private readonly string? _unixPath;

        public Endpoint(Socket listener, PrometheusExposition exposition, MetricsAccess access, ILogger logger, string? unixPath, TimeProvider? time = null)
        {
            _exposition = exposition;
            _unixPath = unixPath;
            _server = new MetricsServer(listener, new ExpositionCache(exposition, time ?? TimeProvider.System), access, logger, time);
        }

        public void Dispose()
        {
            _server.Dispose();
            _exposition.Dispose();
            if (_unixPath is not null)
            {
                try { File.Delete(_unixPath); }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
            }
        }
    }
}

internal sealed class MetricsEndpointException(string message) : Exception(message);
