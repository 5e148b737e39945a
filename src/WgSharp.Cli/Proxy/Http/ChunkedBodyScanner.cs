namespace WgSharp.Cli.Proxy.Http;

/// <summary>
/// Finds the end of a chunked request body (RFC 9112 §7.1) in bytes as they arrive, without changing them: the proxy
/// forwards the body as sent and stops reading the client where it ends. Pure state over spans; never throws. Limits:
/// a chunk-size line (with extensions) of 1 KiB, trailer lines of <c>maxTrailerBytes</c> in all.
/// </summary>
internal sealed class ChunkedBodyScanner(int maxTrailerBytes)
{
    private const int MaxSizeLine = 1024;

    private enum State { SizeLine, Data, DataCr, DataLf, TrailerLine }

    private State _state = State.SizeLine;
    private long _remaining;       // data bytes left in the current chunk
    private int _lineLength;       // bytes of the current size or trailer line so far
    private bool _sizeDone;        // the hex digits ended (extensions or CR follow)
    private bool _sawDigit;
    private bool _lastChunk;       // the size was 0: trailer lines follow
    private bool _lineSawCr;
    private int _trailerBytes;

    /// <summary>The body ended (the last chunk and the trailer's empty line were seen).</summary>
    public bool IsComplete { get; private set; }

    /// <summary>The framing is invalid or over a limit: the request is malformed.</summary>
    public bool IsMalformed { get; private set; }

    /// <summary>Reads <paramref name="data"/>; how many bytes belong to the body (fewer than given only when it ended or is malformed).</summary>
    public int Advance(ReadOnlySpan<byte> data)
    {
        int i = 0;
        while (i < data.Length && !IsComplete && !IsMalformed)
        {
            switch (_state)
            {
                case State.Data:
                {
                    int take = (int)Math.Min(_remaining, data.Length - i);
                    i += take;
                    _remaining -= take;
                    if (_remaining == 0) _state = State.DataCr;
                    break;
                }
                case State.DataCr:
                    if (data[i++] != '\r') IsMalformed = true;
                    else _state = State.DataLf;
                    break;
                case State.DataLf:
                    if (data[i++] != '\n') IsMalformed = true;
                    else StartLine(State.SizeLine);
                    break;
                case State.SizeLine:
                    SizeLineByte(data[i++]);
                    break;
                case State.TrailerLine:
                    TrailerByte(data[i++]);
                    break;
            }
        }
        return i;
    }

    private void StartLine(State state)
    {
        _state = state;
        _lineLength = 0;
        _sizeDone = _sawDigit = _lineSawCr = false;
        if (state == State.SizeLine) _remaining = 0;
    }

    private void SizeLineByte(byte b)
    {
        if (++_lineLength > MaxSizeLine) { IsMalformed = true; return; }
        if (_lineSawCr)
        {
            if (b != '\n' || !_sawDigit) { IsMalformed = true; return; }
            if (_remaining == 0)
            {
                _lastChunk = true;
                StartLine(State.TrailerLine);
            }
            else
            {
                _state = State.Data;
            }
            return;
        }
        if (b == '\r') { _lineSawCr = true; return; }
        if (!_sizeDone && HexValue(b) is int digit and >= 0)
        {
            if (_remaining > (long.MaxValue >> 4)) { IsMalformed = true; return; }
            _remaining = (_remaining << 4) | (uint)digit;
            _sawDigit = true;
            return;
        }
        // After the digits: chunk extensions (";name=value", whitespace), passed on as they are.
        if (!_sawDigit || b == '\n') { IsMalformed = true; return; }
        _sizeDone = true;
    }

    private void TrailerByte(byte b)
    {
        if (++_trailerBytes > maxTrailerBytes) { IsMalformed = true; return; }
        if (_lineSawCr)
        {
            if (b != '\n') { IsMalformed = true; return; }
            if (_lineLength == 0 && _lastChunk) IsComplete = true; // the empty line ends the message
            else StartLine(State.TrailerLine);
            return;
        }
        if (b == '\r') { _lineSawCr = true; return; }
        if (b == '\n') { IsMalformed = true; return; }
        _lineLength++;
    }

    private static int HexValue(byte b) => b switch
    {
        >= (byte)'0' and <= (byte)'9' => b - '0',
        >= (byte)'a' and <= (byte)'f' => b - 'a' + 10,
        >= (byte)'A' and <= (byte)'F' => b - 'A' + 10,
        _ => -1,
    };
}
