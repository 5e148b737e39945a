using System.Runtime.Versioning;
using System.Net.Sockets;
using System.Text;
using WgSharp.Configuration;

namespace WgSharp.Control.Uapi;

/// <summary>
/// Talks to a UAPI socket (ours or wireguard-go's) as wg(8) does: one connection per request.
/// Used by the wgsharp CLI and by tests. Keys never become text on the managed heap (issue 21): a set request is
/// written through <see cref="UapiReplyWriter"/> (locked, no-dump memory, zeroed once sent) and a reply is read
/// line by line through <see cref="UapiLineReader"/> (the same) into <see cref="UapiGetParser"/>, which parses keys
/// from the bytes.
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
        var parser = new UapiGetParser();
        try
        {
            bool answered = await ExchangeAsync(w => w.Write(op + "\n\n"), parser.Accept, cancellationToken).ConfigureAwait(false);
            if (!answered && extensions)
                throw new UapiProtocolException(Errno.EPROTO, $"{SocketPath} does not understand {op} (not a wgsharp daemon?)");
            return parser.Finish(InterfaceName);
        }
        finally { parser.ClearSecrets(); } // the status has its own copies; the parser's slots go back now
    }

    /// <summary>Applies an update; the result carries the daemon's errno (positive) on failure.</summary>
    /// <exception cref="UapiProtocolException">The reply was unreadable.</exception>
    /// <exception cref="IOException">The socket could not be reached.</exception>
    public ConfigResult Set(DeviceUpdate update) => SetAsync(update).GetAwaiter().GetResult();

    /// <summary>Sends raw set lines ("key=value\n"...), without the "set=1" line; the blank line is added if missing.</summary>
    public ConfigResult Set(string setBody) => SetAsync(setBody).GetAwaiter().GetResult();

    public Task<ConfigResult> SetAsync(DeviceUpdate update, CancellationToken cancellationToken = default) =>
        SendSetAsync(w => UapiSetFormatter.WriteRequest(update, w), cancellationToken);

    public Task<ConfigResult> SetAsync(string setBody, CancellationToken cancellationToken = default)
    {
        string body = setBody.Length == 0 || setBody.EndsWith('\n') ? setBody : setBody + "\n";
        if (body.EndsWith("\n\n", StringComparison.Ordinal)) body = body[..^1];
        // A blank line inside the body would end the request early and turn the rest into garbage.
        if (body.StartsWith('\n') || body.Contains("\n\n", StringComparison.Ordinal))
            throw new ArgumentException("the set body contains a blank line before its end", nameof(setBody));
        string request = UapiProtocol.SetOperation + "\n" + body + "\n";
        return SendSetAsync(w => w.Write(request), cancellationToken);
    }

    private async Task<ConfigResult> SendSetAsync(Action<UapiReplyWriter> writeRequest, CancellationToken cancellationToken)
    {
        int? errno = null;
        bool malformed = false;
        await ExchangeAsync(writeRequest, line =>
        {
            if (line.IsEmpty) return false;
            if (errno is not null || malformed || !line.StartsWith("errno="u8)) return true;
            var value = line["errno=".Length..];
            bool negative = value.StartsWith("-"u8);
            if (UapiDecimal.TryParse(Encoding.ASCII.GetString(negative ? value[1..] : value), int.MaxValue, out ulong number)) errno = (int)number;
            else malformed = true;
            return true;
        }, cancellationToken).ConfigureAwait(false);
        if (errno is not { } code) throw new UapiProtocolException(Errno.EPROTO, $"malformed reply to set from {SocketPath}");
        return code == 0 ? ConfigResult.Ok : ConfigResult.Fail(code, Errno.Describe(code));
    }

    /// <summary>A reply line handed to its reader as bytes, valid only during the call; false stops reading.</summary>
    private delegate bool LineSink(ReadOnlySpan<byte> line);

    /// <summary>
    /// Sends one request and hands each reply line, up to and including the blank line, to <paramref name="sink"/>.
    /// False when the daemon closed the connection without a word (it did not understand the request).
    /// </summary>
    private async Task<bool> ExchangeAsync(Action<UapiReplyWriter> writeRequest, LineSink sink, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(_timeout);
        using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            await socket.ConnectAsync(new UnixDomainSocketEndPoint(SocketPath), timeout.Token).ConfigureAwait(false);
            await using var stream = new NetworkStream(socket, ownsSocket: false);
            // The request is written synchronously from locked memory (a span cannot cross an await); the socket's
            // send timeout bounds it as the token bounds the reads.
            socket.SendTimeout = (int)Math.Min(int.MaxValue, _timeout.TotalMilliseconds);
            using (var writer = new UapiReplyWriter(stream))
            {
                writeRequest(writer);
                writer.Flush();
            }

            using var reader = new UapiLineReader(stream);
            long total = 0;
            bool any = false;
            while (true)
            {
                var status = await reader.ReadLineBytesAsync(timeout.Token).ConfigureAwait(false);
                if (status.Status == UapiLineReader.Status.EndOfStream)
                {
                    if (!any) return false;
                    throw new UapiProtocolException(Errno.EPROTO, $"{SocketPath} closed the connection mid-reply");
                }
                if (status.Status != UapiLineReader.Status.Line || (total += status.ByteCount + 1) > MaxReplyBytes)
                    throw new UapiProtocolException(Errno.EPROTO, $"unreadable reply from {SocketPath}");
                any = true;
                if (!sink(reader.LastLine)) return true;
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
