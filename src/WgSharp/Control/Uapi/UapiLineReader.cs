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

    /// <summary>The next line without its '\n', read with blocking reads (the server's connection threads).</summary>
    public Result ReadLine()
    {
        int scanned = 0;
        Result result;
        while (!TryTakeLine(ref scanned, out result))
            if (!Fill(_stream.Read(_buffer.AsSpan(_end)))) return new Result(Status.EndOfStream, null, 0);
        return result;
    }

    /// <summary>The next line without its '\n'. A partial line at end of stream counts as end of stream.</summary>
    public async ValueTask<Result> ReadLineAsync(CancellationToken cancellationToken)
    {
        int scanned = 0;
        Result result;
        while (!TryTakeLine(ref scanned, out result))
            if (!Fill(await _stream.ReadAsync(_buffer.AsMemory(_end), cancellationToken).ConfigureAwait(false)))
                return new Result(Status.EndOfStream, null, 0);
        return result;
    }

    /// <summary>The next byte, or -1 at end of stream (blocking).</summary>
    public int ReadByte()
    {
        if (_start == _end)
        {
            Compact();
            if (!Fill(_stream.Read(_buffer.AsSpan(_end)))) return -1;
        }
        return _buffer[_start++];
    }

    /// <summary>
    /// A whole buffered line (or a too-long verdict) when there is one; false when more bytes are needed.
    /// <paramref name="scanned"/> carries how far the buffer was already searched, so a slow client costs linear time.
    /// </summary>
    private bool TryTakeLine(ref int scanned, out Result result)
    {
        int newline = Array.IndexOf(_buffer, (byte)'\n', _start + scanned, _end - _start - scanned);
        if (newline >= 0)
        {
            int length = newline - _start;
            if (length > _maxLineBytes) { result = new Result(Status.TooLong, null, length); return true; }
            var bytes = new Span<byte>(_buffer, _start, length);
            _start = newline + 1;
            try
            {
                result = new Result(Status.Line, StrictUtf8.GetString(bytes), length);
            }
            catch (DecoderFallbackException)
            {
                result = new Result(Status.NotUtf8, null, length);
            }
            finally
            {
                bytes.Clear(); // a line may carry a key: no copy stays behind in the buffer
            }
            return true;
        }
        scanned = _end - _start;
        result = new Result(Status.TooLong, null, scanned);
        if (scanned > _maxLineBytes) return true;
        Compact(); // room for the next read
        return false;
    }

    private void Compact()
    {
        if (_start == 0) return;
        Buffer.BlockCopy(_buffer, _start, _buffer, 0, _end - _start);
        Array.Clear(_buffer, _end - _start, _start); // the moved bytes' old place
        _end -= _start;
        _start = 0;
    }

    private bool Fill(int read)
    {
        if (read <= 0) return false;
        _end += read;
        return true;
    }
}
