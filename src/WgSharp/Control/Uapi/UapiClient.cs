using System.Runtime.Versioning;
using System.Net.Sockets;
using System.Text;
using WgSharp.Configuration;

namespace WgSharp.Control.Uapi;

/// <summary>
/// Talks to a UAPI socket (ours or wireguard-go's) as wg(8) does: one connection per request.
/// Used by the wgsharp CLI and by tests.
/// </summary>
[SupportedOSPlatform("linux")]
internal sealed class UapiClient
{
    /// <summary>Replies larger than this are refused (a device with ~1M allowed IPs stays below it).</summary>
    private const long MaxReplyBytes = 4L * UapiLimits.MaxRequestBytes;

    private readonly TimeSpan _timeout;

    public UapiClient(string socketPath, TimeSpan? timeout = null)
    {
        SocketPath = socketPath;
        _timeout = timeout ?? TimeSpan.FromSeconds(30);
        string name = Path.GetFileName(socketPath);
        InterfaceName = name.EndsWith(UapiProtocol.SocketSuffix, StringComparison.Ordinal)
            ? name[..^UapiProtocol.SocketSuffix.Length] : name;
    }

    /// <summary>The client for DIR/IFNAME.sock (DIR defaults to /var/run/wireguard).</summary>
    public static UapiClient ForInterface(string interfaceName, string socketDirectory = UapiProtocol.DefaultSocketDirectory) =>
        new(UapiProtocol.SocketPathFor(interfaceName, socketDirectory));

    public string SocketPath { get; }
    public string InterfaceName { get; }

    /// <summary>Reads the device's configuration and counters.</summary>
    /// <param name="extensions">Use `get=wgsharp` to also receive descriptions, debug and rtable (wgsharp daemons only).</param>
    /// <exception cref="UapiProtocolException">The daemon reported an error or answered something unreadable.</exception>
    /// <exception cref="IOException">The socket could not be reached.</exception>
    public DeviceStatus Get(bool extensions = false) => GetAsync(extensions).GetAwaiter().GetResult();

    /// <inheritdoc cref="Get"/>
    public async Task<DeviceStatus> GetAsync(bool extensions = false, CancellationToken cancellationToken = default)
    {
        string op = extensions ? UapiProtocol.ExtendedGetOperation : UapiProtocol.GetOperation;
        var lines = await ExchangeAsync(op + "\n\n", cancellationToken).ConfigureAwait(false);
        if (lines.Count == 0 && extensions)
            throw new UapiProtocolException(Errno.EPROTO, $"{SocketPath} does not understand {op} (not a wgsharp daemon?)");
        return UapiGetParser.Parse(InterfaceName, lines);
    }

    /// <summary>Applies an update; the result carries the daemon's errno (positive) on failure.</summary>
    /// <exception cref="UapiProtocolException">The reply was unreadable.</exception>
    /// <exception cref="IOException">The socket could not be reached.</exception>
    public ConfigResult Set(DeviceUpdate update) => SetAsync(update).GetAwaiter().GetResult();

    /// <summary>Sends raw set lines ("key=value\n"...), without the "set=1" line; the blank line is added if missing.</summary>
    public ConfigResult Set(string setBody) => SetAsync(setBody).GetAwaiter().GetResult();

    public Task<ConfigResult> SetAsync(DeviceUpdate update, CancellationToken cancellationToken = default) =>
        SendSetAsync(UapiSetFormatter.FormatRequest(update), cancellationToken);

    public Task<ConfigResult> SetAsync(string setBody, CancellationToken cancellationToken = default)
    {
        string body = setBody.Length == 0 || setBody.EndsWith('\n') ? setBody : setBody + "\n";
        if (body.EndsWith("\n\n", StringComparison.Ordinal)) body = body[..^1];
        // A blank line inside the body would end the request early and turn the rest into garbage.
        if (body.StartsWith('\n') || body.Contains("\n\n", StringComparison.Ordinal))
            throw new ArgumentException("the set body contains a blank line before its end", nameof(setBody));
        string request = UapiProtocol.SetOperation + "\n" + body + "\n";
        return SendSetAsync(request, cancellationToken);
    }

    private async Task<ConfigResult> SendSetAsync(string request, CancellationToken cancellationToken)
    {
        var lines = await ExchangeAsync(request, cancellationToken).ConfigureAwait(false);
        foreach (string line in lines)
        {
            if (!line.StartsWith("errno=", StringComparison.Ordinal)) continue;
            string value = line["errno=".Length..];
            bool negative = value.StartsWith('-');
            if (!UapiDecimal.TryParse(negative ? value.AsSpan(1) : value, int.MaxValue, out ulong errno))
                break;
            return errno == 0 ? ConfigResult.Ok
                : ConfigResult.Fail((int)errno, Errno.Describe((int)errno));
        }
        throw new UapiProtocolException(Errno.EPROTO, $"malformed reply to set from {SocketPath}");
    }

    /// <summary>Sends one request and collects the reply lines up to (not including) the blank line.</summary>
    private async Task<List<string>> ExchangeAsync(string request, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(_timeout);
        using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            await socket.ConnectAsync(new UnixDomainSocketEndPoint(SocketPath), timeout.Token).ConfigureAwait(false);
            await using var stream = new NetworkStream(socket, ownsSocket: false);
            await stream.WriteAsync(Encoding.UTF8.GetBytes(request), timeout.Token).ConfigureAwait(false);

            using var reader = new UapiLineReader(stream);
            var lines = new List<string>();
            long total = 0;
            while (true)
            {
                var line = await reader.ReadLineAsync(timeout.Token).ConfigureAwait(false);
                if (line.Status == UapiLineReader.Status.EndOfStream)
                {
                    if (lines.Count == 0) return lines;
                    throw new UapiProtocolException(Errno.EPROTO, $"{SocketPath} closed the connection mid-reply");
                }
                if (line.Status != UapiLineReader.Status.Line || (total += line.ByteCount + 1) > MaxReplyBytes)
                    throw new UapiProtocolException(Errno.EPROTO, $"unreadable reply from {SocketPath}");
                if (line.Line!.Length == 0) return lines;
                lines.Add(line.Line);
            }
        }
        catch (SocketException ex)
        {
            throw new IOException($"cannot talk to {SocketPath}: {ex.Message}", ex);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new TimeoutException($"{SocketPath} did not answer within {_timeout.TotalSeconds:0} s");
        }
    }
}
