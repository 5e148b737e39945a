using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;
using WgSharp.Keys;

namespace WgSharp.Cli.Wg;

/// <summary>
/// Standard output for the commands that print private and preshared keys (`show ... dump`, `show private-key`,
/// `show preshared-keys`, `showconf`, the report with WG_HIDE_KEYS=never): keys are base64-encoded straight into a
/// locked, no-dump buffer, written to stdout's bytes and zeroed, so no managed string ever holds a secret key (issue 21).
/// Other text (public keys, addresses, counters) is not secret and is encoded into the same buffer, in order.
/// Tests give a <see cref="TextWriter"/> instead of a stream; only then does output become text.
/// </summary>
internal sealed class KeyTextOutput : IDisposable
{
    /// <summary>16 KiB: a few pages locked per command, flushed as it fills (a dump of 100,000 peers is ~20 MB).</summary>
    private const int BufferBytes = 16 * 1024;
    /// <summary>Room for any one UTF-8 character: the encoder needs it to make progress.</summary>
    private const int MaxCharBytes = 4;

    private readonly Stream? _stream;
    private readonly TextWriter? _text;
    private readonly SecretMemory _buffer = new(BufferBytes);
    private readonly Encoder _encoder = new UTF8Encoding(encoderShouldEmitUTF8Identifier: false).GetEncoder();
    private int _used;

    /// <summary>Output to the bytes of <paramref name="stream"/> (the process's standard output).</summary>
    public KeyTextOutput(Stream stream) => _stream = stream;

    /// <summary>Output to a text writer: for tests' fake consoles, never for a real one (it makes text of keys).</summary>
    public KeyTextOutput(TextWriter text) => _text = text;

    private Span<byte> Free => _buffer.GetSpan()[_used..];

    /// <summary>Writes non-secret text.</summary>
    public KeyTextOutput Write(string? text) => Write(text.AsSpan());

    /// <summary>Writes one non-secret character.</summary>
    public KeyTextOutput Write(char c) => Write(new ReadOnlySpan<char>(in c));

    /// <summary>Writes non-secret text.</summary>
    public KeyTextOutput Write(ReadOnlySpan<char> text)
    {
        while (!text.IsEmpty)
        {
            if (Free.Length < MaxCharBytes) Flush();
            _encoder.Convert(text, Free, flush: false, out int chars, out int bytes, out _);
            _used += bytes;
            text = text[chars..];
        }
        return this;
    }

    /// <summary>Writes a key (private, preshared or public) in base64, from its bytes into the locked buffer.</summary>
    public KeyTextOutput WriteKey(in Key key)
    {
        const int Base64Length = (Key.Size + 2) / 3 * 4;
        if (Free.Length < Base64Length) Flush();
        Base64.EncodeToUtf8(key.AsSpan(), Free, out _, out int written);
        _used += written;
        return this;
    }

    /// <summary>A key in base64, or "(none)" as wg prints a missing one.</summary>
    public KeyTextOutput WriteKeyOrNone(Key? key)
    {
        if (key is { } k) return WriteKey(k);
        return Write("(none)");
    }

    /// <summary>Writes out what the buffer holds and zeroes it.</summary>
    public void Flush()
    {
        var filled = _buffer.GetSpan()[.._used];
        try
        {
            if (_stream is not null)
            {
                _stream.Write(filled);
                _stream.Flush();
            }
            else
            {
                _text!.Write(Encoding.UTF8.GetString(filled));
            }
        }
        finally
        {
            CryptographicOperations.ZeroMemory(filled);
            _used = 0;
        }
    }

    /// <summary>Flushes, then zeroes and frees the buffer.</summary>
    public void Dispose()
    {
        try { Flush(); }
        finally { ((IDisposable)_buffer).Dispose(); }
    }
}
