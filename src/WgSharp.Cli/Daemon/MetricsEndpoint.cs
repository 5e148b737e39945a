using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Microsoft.Extensions.Logging;
using WgSharp.Device;

namespace WgSharp.Cli.Daemon;

/// <summary>
/// The daemon's opt-in Prometheus endpoint (`wgsharp -f IFNAME --metrics ADDR:PORT`, or WGSHARP_METRICS=ADDR:PORT
/// for any start): the <see cref="WireGuardMetrics"/> meter as Prometheus text (<see cref="PrometheusExposition"/>)
/// at http://ADDR:PORT/metrics. A bare PORT listens on loopback only. The HTTP/1.1 side is the least a scraper
/// needs, on one thread (wg-metrics) started only when asked for: GET /metrics, one request per connection, a
/// request of at most 8 KiB that must arrive within 5 s, then the connection is closed. Hand-written rather than
/// OpenTelemetry's exporter, whose HttpListener and SDK cost more memory than the whole daemon (docs/observability.md).
/// </summary>
internal static class MetricsEndpoint
{
    public const string EnvironmentVariable = "WGSHARP_METRICS";
    public const string Option = "--metrics";
    private const int MaxRequestBytes = 8192;
    private static readonly TimeSpan RequestTimeout = TimeSpan.FromSeconds(5);

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
            error = $"{text}: not PORT or ADDRESS:PORT";
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
        if (!TryParse(text, out var address, out int port, out var error)) throw new MetricsEndpointException($"{EnvironmentVariable}: {error}");
        _ = metrics; // the meter exists while the daemon runs; the exposition listens to it by name
        Socket listener;
        try { listener = Listen(address, port); }
        catch (SocketException e)
        {
            throw new MetricsEndpointException($"cannot serve metrics on {text}: {e.Message}");
        }
        return new Server(listener, new PrometheusExposition(WireGuardMetrics.MeterName), logger);
    }

    /// <summary>Serves <paramref name="exposition"/> on an already listening socket until disposed (tests start it this way).</summary>
    internal static IDisposable Serve(Socket listener, PrometheusExposition exposition, ILogger logger) => new Server(listener, exposition, logger);

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
            socket.Listen(16);
            return socket;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>The accept thread: one scrape at a time (a scraper asks every few seconds at most; the timeout bounds a stuck one).</summary>
    private sealed class Server : IDisposable
    {
        private readonly Socket _listener;
        private readonly PrometheusExposition _exposition;
        private readonly ILogger _logger;
        private readonly Thread _thread;
        private volatile bool _stopping;

        public Server(Socket listener, PrometheusExposition exposition, ILogger logger)
        {
            _listener = listener;
            _exposition = exposition;
            _logger = logger;
            _thread = new Thread(Run) { IsBackground = true, Name = "wg-metrics" };
            _thread.Start();
        }

        private void Run()
        {
            while (!_stopping)
            {
                Socket client;
                try { client = _listener.Accept(); }
                catch (Exception e) when (e is SocketException or ObjectDisposedException)
                {
                    if (_stopping) return;
                    _logger.LogDebug("metrics: accept failed: {Reason}", e.Message);
                    Thread.Sleep(100); // e.g. EMFILE: back off instead of spinning
                    continue;
                }
                using (client)
                {
                    try { Answer(client); }
                    catch (Exception e) when (e is SocketException or IOException or ObjectDisposedException)
                    {
                        _logger.LogDebug("metrics: client connection ended: {Reason}", e.Message);
                    }
                }
            }
        }

        private void Answer(Socket client)
        {
            client.ReceiveTimeout = client.SendTimeout = (int)RequestTimeout.TotalMilliseconds;
            long deadline = Environment.TickCount64 + (long)RequestTimeout.TotalMilliseconds;
            var request = new byte[MaxRequestBytes];
            int length = 0;
            while (request.AsSpan(0, length).IndexOf("\r\n\r\n"u8) < 0)
            {
                if (length == request.Length || Environment.TickCount64 > deadline) { Send(client, "400 Bad Request", "request too large or too slow\n"); return; }
                int read = client.Receive(request, length, request.Length - length, SocketFlags.None);
                if (read == 0) return;
                length += read;
            }
            var line = request.AsSpan(0, request.AsSpan(0, length).IndexOf("\r\n"u8));
            if (!line.StartsWith("GET "u8)) { Send(client, "405 Method Not Allowed", "only GET /metrics\n", "Allow: GET\r\n"); return; }
            var target = line["GET "u8.Length..];
            int end = target.IndexOf((byte)' ');
            if (end >= 0) target = target[..end];
            int query = target.IndexOf((byte)'?');
            if (query >= 0) target = target[..query];
            if (!target.SequenceEqual("/metrics"u8)) { Send(client, "404 Not Found", "metrics are at /metrics\n"); return; }
            Send(client, "200 OK", _exposition.Collect(), contentType: PrometheusExposition.ContentType);
        }

        private static void Send(Socket client, string status, string body, string extraHeaders = "", string contentType = "text/plain; charset=utf-8")
        {
            byte[] content = Encoding.UTF8.GetBytes(body);
            byte[] head = Encoding.ASCII.GetBytes(
                $"HTTP/1.1 {status}\r\nContent-Type: {contentType}\r\nContent-Length: {content.Length}\r\n{extraHeaders}Connection: close\r\n\r\n");
            client.Send(head);
            client.Send(content);
            client.Shutdown(SocketShutdown.Send);
        }

        public void Dispose()
        {
            _stopping = true;
            _listener.Dispose(); // wakes the blocked accept
            _thread.Join(TimeSpan.FromSeconds(2) + RequestTimeout);
            _exposition.Dispose();
        }
    }
}

internal sealed class MetricsEndpointException(string message) : Exception(message);
