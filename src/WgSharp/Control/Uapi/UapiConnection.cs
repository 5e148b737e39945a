using System.Runtime.CompilerServices;
using System.Runtime.Versioning;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Logging;
using WgSharp.Configuration;

namespace WgSharp.Control.Uapi;

/// <summary>
/// Serves one client of the UAPI socket: any number of `get=1` / `set=1` requests in a row, as
/// wireguard-go's IpcHandle does. An unknown operation, an oversized line or a client that
/// vanishes mid-request ends the connection; an incomplete `set` is never applied. Runs on the connection's own
/// thread with blocking reads: a started request must arrive within the request timeout, an idle client may wait.
/// </summary>
[SupportedOSPlatform("linux")]
internal sealed class UapiConnection
{
    /// <summary>wireguard-go's errno for failures that are not protocol errors (ENOANO).</summary>
    internal const int UnknownErrorErrno = 55;

    private readonly SocketDeadlineStream _stream;
    private readonly IDeviceControl _device;
    private readonly ILogger _logger;
    private readonly TimeSpan _requestTimeout;
    private readonly UapiLineReader _reader;
    private readonly UapiReplyWriter _reply;

    public UapiConnection(SocketDeadlineStream stream, IDeviceControl device, ILogger logger, TimeSpan requestTimeout)
    {
        _stream = stream;
        _device = device;
        _logger = logger;
        _requestTimeout = requestTimeout;
        _reader = new UapiLineReader(stream);
        _reply = new UapiReplyWriter(stream);
    }

    /// <summary>Handles requests until the client leaves or misbehaves. Throws only I/O exceptions.</summary>
    public void Run()
    {
        try
        {
            while (true)
            {
                // No timeout while idle between requests: wireguard-go lets clients keep the connection open.
                _stream.ClearDeadline();
                var status = _reader.ReadLineBytes(out var op, out _);
                if (status == UapiLineReader.Status.EndOfStream) return;
                if (status != UapiLineReader.Status.Line)
                {
                    _logger.LogWarning("UAPI: dropping client that sent an unreadable operation line ({Status})", status);
                    return;
                }

                _stream.SetDeadline(_requestTimeout);
                // The operation is compared as bytes: a client that sends a key here must not get it made into a string.
                bool keepGoing =
                    op.SequenceEqual("get=1"u8) ? HandleGet(extensions: false)
                    : op.SequenceEqual("get=wgsharp"u8) ? HandleGet(extensions: true)
                    : op.SequenceEqual("set=1"u8) ? HandleSet()
                    : RefuseOperation(op);
                ScrubStack();
                if (!keepGoing) return;
            }
        }
        finally
        {
            ScrubStack();
            _reader.Dispose();
            _reply.Dispose();
        }
    }

    /// <summary>How much stack a request may have used below <see cref="Run"/> (parsing, Apply, formatting).</summary>
    private const int ScrubBytes = 64 * 1024;

    /// <summary>
    /// Parsing a key, applying it and formatting a reply leave copies of it in dead stack frames of this thread,
    /// and glibc keeps a finished thread's stack for the next one: overwrite the region those frames used.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void ScrubStack()
    {
        Span<byte> used = stackalloc byte[ScrubBytes];
        CryptographicOperations.ZeroMemory(used);
    }

    private bool RefuseOperation(ReadOnlySpan<byte> op)
    {
        _logger.LogWarning("UAPI: invalid operation ({Kind}), closing connection", UapiLineKind.Of(op));
        return false;
    }

    private bool HandleGet(bool extensions)
    {
        // A get is "get=1\n\n": the byte after the operation line must be the blank line.
        int next = _reader.ReadByte();
        if (next < 0) return false;
        if (next != '\n')
        {
            _logger.LogWarning("UAPI: trailing character after get operation");
            Write(UapiProtocol.FormatErrnoLine(Errno.EINVAL));
            return true;
        }

        DeviceStatus status;
        try
        {
            status = _device.GetStatus();
        }
        catch (Exception ex)
        {
            _logger.LogError(ex, "UAPI: reading the device status failed");
            Write(UapiProtocol.FormatErrnoLine(UnknownErrorErrno));
            return true;
        }
        try
        {
            UapiGetFormatter.WriteReply(status, extensions, _reply);
        }
        finally
        {
            status.ClearSecrets();
        }
        return true;
    }

    private bool HandleSet()
    {
        var parser = new UapiSetParser();
        long total = 0;
        while (true)
        {
            var status = _reader.ReadLineBytes(out var line, out int byteCount);
            switch (status)
            {
                case UapiLineReader.Status.EndOfStream:
                    // wireguard-go would apply what it had; we refuse, so a cut-off request changes nothing.
                    // A client that merely half-closed still learns why.
                    _logger.LogWarning("UAPI: client left in the middle of a set request; nothing was applied");
                    parser.Abandon();
                    TryWrite(UapiProtocol.FormatErrnoLine(Errno.EPROTO));
                    return false;
                case UapiLineReader.Status.TooLong:
                    _logger.LogWarning("UAPI: set request line longer than {Max} bytes; nothing was applied", UapiLimits.MaxLineBytes);
                    parser.Abandon();
                    TryWrite(UapiProtocol.FormatErrnoLine(Errno.EINVAL));
                    return false;
                case UapiLineReader.Status.NotUtf8:
                    parser.Reject(ConfigResult.Fail(Errno.EINVAL, "line is not valid UTF-8"));
                    break;
            }

            total += byteCount + 1;
            if (total > UapiLimits.MaxRequestBytes)
            {
                _logger.LogWarning("UAPI: set request larger than {Max} bytes; nothing was applied", UapiLimits.MaxRequestBytes);
                parser.Finish(out _);
                TryWrite(UapiProtocol.FormatErrnoLine(Errno.EINVAL));
                return false;
            }
            if (status != UapiLineReader.Status.Line) continue;
            if (line.IsEmpty || line.SequenceEqual("\r"u8)) break;
            parser.ParseLine(line);
        }

        var result = parser.Finish(out var update);
        if (result.IsOk) result = Apply(update!);
        update?.ClearSecrets();
        if (!result.IsOk) _logger.LogWarning("UAPI: set failed with errno {Errno}: {Message}", result.Errno, result.Message);
        Write(UapiProtocol.FormatErrnoLine(result.Errno));
        return true;
    }

    private ConfigResult Apply(DeviceUpdate update)
    {
        try
        {
            return _device.Apply(update); // one at a time: the server hands every connection one SerializedDeviceControl
        }
        catch (Exception ex)
        {
            _logger.LogError(ex, "UAPI: applying a set request threw");
            return ConfigResult.Fail(UnknownErrorErrno, "internal error");
        }
    }

    private void Write(string text) => _stream.Write(Encoding.UTF8.GetBytes(text));

    /// <summary>Best-effort error reply to a client we are about to drop.</summary>
    private void TryWrite(string text)
    {
        try { Write(text); }
        catch (IOException) { }
    }
}
