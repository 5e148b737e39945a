using System.Text;

namespace WgSharp.Control.Uapi;

/// <summary>
/// Reads '\n'-terminated lines and single bytes from a UAPI stream with a hard bound on line
/// length, so a client that never sends a newline cannot make us buffer without limit.
/// Text is strict UTF-8 (keys and values are ASCII; only descriptions may use more).
/// </summary>
internal sealed class UapiLineReader
{
    public enum Status { Line, EndOfStream, TooLong, NotUtf8 }

    public readonly record struct Result(Status Status, string? Line, int ByteCount);

    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    private readonly Stream _stream;
    private readonly int _maxLineBytes;
    private readonly byte[] _buffer;
    private int _start, _end;

    public UapiLineReader(Stream stream, int maxLineBytes = UapiLimits.MaxLineBytes)
    {
        _stream = stream;
        _maxLineBytes = maxLineBytes;
        _buffer = new byte[Math.Max(8192, maxLineBytes * 2)];
    }

    /// <summary>The next line without its '\n'. A partial line at end of stream counts as end of stream.</summary>
    public async ValueTask<Result> ReadLineAsync(CancellationToken cancellationToken)
    {
        int scanned = 0;
        while (true)
        {
            int newline = Array.IndexOf(_buffer, (byte)'\n', _start + scanned, _end - _start - scanned);
            if (newline >= 0)
            {
                int length = newline - _start;
                if (length > _maxLineBytes) return new Result(Status.TooLong, null, length);
                var bytes = new Span<byte>(_buffer, _start, length);
                _start = newline + 1;
                try
                {
                    return new Result(Status.Line, StrictUtf8.GetString(bytes), length);
                }
                catch (DecoderFallbackException)
                {
                    return new Result(Status.NotUtf8, null, length);
                }
                finally
                {
                    bytes.Clear(); // a line may carry a key: no copy stays behind in the buffer
                }
            }
            scanned = _end - _start;
            if (scanned > _maxLineBytes) return new Result(Status.TooLong, null, scanned);
            if (!await FillAsync(cancellationToken).ConfigureAwait(false)) return new Result(Status.EndOfStream, null, 0);
        }
    }

    /// <summary>The next byte, or -1 at end of stream.</summary>
    public async ValueTask<int> ReadByteAsync(CancellationToken cancellationToken)
    {
        if (_start == _end && !await FillAsync(cancellationToken).ConfigureAwait(false)) return -1;
        return _buffer[_start++];
    }

    private async ValueTask<bool> FillAsync(CancellationToken cancellationToken)
    {
        if (_start > 0)
        {
            Buffer.BlockCopy(_buffer, _start, _buffer, 0, _end - _start);
            Array.Clear(_buffer, _end - _start, _start); // the moved bytes' old place
            _end -= _start;
            _start = 0;
        }
        int read = await _stream.ReadAsync(_buffer.AsMemory(_end), cancellationToken).ConfigureAwait(false);
        if (read <= 0) return false;
        _end += read;
        return true;
    }
}
