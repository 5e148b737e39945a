using System.Text;
using System.Text.Unicode;
using WgSharp.Keys;

namespace WgSharp.Control.Uapi;

/// <summary>
/// Reads '\n'-terminated lines and single bytes from a UAPI stream with a hard bound on line
/// length, so a client that never sends a newline cannot make us buffer without limit.
/// Text is strict UTF-8 (keys and values are ASCII; only descriptions may use more).
/// Lines may carry keys: the buffer is <see cref="SecretMemory"/> (off the GC heap, locked, out of core dumps),
/// a line handed out as bytes is zeroed at the next read, and <see cref="Dispose"/> zeroes the rest.
/// </summary>
internal sealed class UapiLineReader : IDisposable
{
    public enum Status { Line, EndOfStream, TooLong, NotUtf8 }

    public readonly record struct Result(Status Status, string? Line, int ByteCount);

    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    private readonly Stream _stream;
    private readonly int _maxLineBytes;
    private readonly SecretMemory _memory;
    private int _start, _end;
    private int _lineStart, _lineLength; // the last line handed out as bytes, cleared at the next read

    public UapiLineReader(Stream stream, int maxLineBytes = UapiLimits.MaxLineBytes)
    {
        _stream = stream;
        _maxLineBytes = maxLineBytes;
        _memory = new SecretMemory(Math.Max(8192, maxLineBytes * 2));
    }

    private Span<byte> Buffer => _memory.GetSpan();

    /// <summary>
    /// The next line without its '\n' as bytes, valid until the next call on this reader (which zeroes it):
    /// the server parses keys straight from here, so their text never becomes a string. Blocking reads.
    /// </summary>
    public Status ReadLineBytes(out ReadOnlySpan<byte> line, out int byteCount)
    {
        ClearLastLine();
        int scanned = 0;
        line = default;
        while (true)
        {
            var status = TryFindLine(ref scanned, out int start, out byteCount);
            if (status == Status.Line)
            {
                var bytes = Buffer.Slice(start, byteCount);
                line = bytes;
                if (Utf8.IsValid(bytes)) return Status.Line;
                bytes.Clear();
                line = default;
                return Status.NotUtf8;
            }
            if (status == Status.TooLong) return Status.TooLong;
            if (!Fill(_stream.Read(Buffer[_end..]))) { byteCount = 0; return Status.EndOfStream; }
        }
    }

    /// <summary>The next line without its '\n', read with blocking reads.</summary>
    public Result ReadLine()
    {
        ClearLastLine();
        int scanned = 0;
        while (true)
        {
            if (TryTakeLine(ref scanned, out var result)) return result;
            if (!Fill(_stream.Read(Buffer[_end..]))) return new Result(Status.EndOfStream, null, 0);
        }
    }

    /// <summary>The next line without its '\n'. A partial line at end of stream counts as end of stream.</summary>
    public async ValueTask<Result> ReadLineAsync(CancellationToken cancellationToken)
    {
        ClearLastLine();
        int scanned = 0;
        while (true)
        {
            if (TryTakeLine(ref scanned, out var result)) return result;
            if (!Fill(await _stream.ReadAsync(_memory.Memory[_end..], cancellationToken).ConfigureAwait(false)))
                return new Result(Status.EndOfStream, null, 0);
        }
    }

    /// <summary>
    /// The next line as bytes, read asynchronously: on <see cref="Status.Line"/> the bytes are <see cref="LastLine"/>
    /// until the next call on this reader, which zeroes them. For clients reading replies that carry keys.
    /// </summary>
    public async ValueTask<Result> ReadLineBytesAsync(CancellationToken cancellationToken)
    {
        ClearLastLine();
        int scanned = 0;
        while (true)
        {
            var status = TryFindLine(ref scanned, out int start, out int length);
            if (status == Status.Line)
            {
                if (Utf8.IsValid(Buffer.Slice(start, length))) return new Result(Status.Line, null, length);
                ClearLastLine();
                return new Result(Status.NotUtf8, null, length);
            }
            if (status == Status.TooLong) return new Result(Status.TooLong, null, length);
            if (!Fill(await _stream.ReadAsync(_memory.Memory[_end..], cancellationToken).ConfigureAwait(false)))
                return new Result(Status.EndOfStream, null, 0);
        }
    }

    /// <summary>The line the last <see cref="ReadLineBytesAsync"/> found (empty once the reader moved on).</summary>
    public ReadOnlySpan<byte> LastLine => Buffer.Slice(_lineStart, _lineLength);

    /// <summary>The next byte, or -1 at end of stream (blocking).</summary>
    public int ReadByte()
    {
        ClearLastLine();
        if (_start == _end)
        {
            Compact();
            if (!Fill(_stream.Read(Buffer[_end..]))) return -1;
        }
        return Buffer[_start++];
    }

    /// <summary>A whole buffered line decoded as a string (for replies, which carry no secret the client does not already print).</summary>
    private bool TryTakeLine(ref int scanned, out Result result)
    {
        var status = TryFindLine(ref scanned, out int start, out int length);
        if (status == Status.Line)
        {
            var bytes = Buffer.Slice(start, length);
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
        result = new Result(status, null, length);
        return status == Status.TooLong;
    }

    /// <summary>
    /// Finds a whole buffered line (Status.Line, consumed from the buffer but not yet cleared), a too-long
    /// verdict, or EndOfStream meaning "more bytes are needed". <paramref name="scanned"/> carries how far
    /// the buffer was already searched, so a slow client costs linear time.
    /// </summary>
    private Status TryFindLine(ref int scanned, out int start, out int length)
    {
        var buffer = Buffer;
        int newline = buffer[(_start + scanned).._end].IndexOf((byte)'\n');
        start = _start;
        if (newline >= 0)
        {
            newline += _start + scanned;
            length = newline - _start;
            _start = newline + 1;
            if (length > _maxLineBytes)
            {
                buffer.Slice(start, length).Clear();
                return Status.TooLong;
            }
            _lineStart = start;
            _lineLength = length;
            return Status.Line;
        }
        scanned = _end - _start;
        length = scanned;
        if (scanned > _maxLineBytes) return Status.TooLong;
        Compact(); // room for the next read
        start = _start;
        return Status.EndOfStream;
    }

    private void ClearLastLine()
    {
        if (_lineLength == 0) return;
        Buffer.Slice(_lineStart, _lineLength).Clear();
        _lineLength = 0;
    }

    private void Compact()
    {
        if (_start == 0) return;
        ClearLastLine();
        var buffer = Buffer;
        buffer[_start.._end].CopyTo(buffer);
        buffer[(_end - _start).._end].Clear(); // the moved bytes' old place
        _end -= _start;
        _start = 0;
    }

    private bool Fill(int read)
    {
        if (read <= 0) return false;
        _end += read;
        return true;
    }

    /// <summary>Zeroes and releases the buffer.</summary>
    public void Dispose() => ((IDisposable)_memory).Dispose();
}
