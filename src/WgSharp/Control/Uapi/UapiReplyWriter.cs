using System.Globalization;
using System.Text;
using WgSharp.Keys;

namespace WgSharp.Control.Uapi;

/// <summary>
/// Builds a UAPI reply as UTF-8 straight into <see cref="SecretMemory"/> and writes it out whenever the buffer
/// fills: a `get` reply carries the private and preshared keys, so their hex text is written here digit by digit,
/// never made into a string, and every byte is zeroed once it has been sent.
/// </summary>
internal sealed class UapiReplyWriter : IDisposable
{
    /// <summary>Room for any single value we write in one piece (a key, a number).</summary>
    private const int MinimumCapacity = 256;

    private readonly Stream _stream;
    private readonly SecretMemory _memory;
    private int _used;

    public UapiReplyWriter(Stream stream, int capacity = 32 * 1024)
    {
        _stream = stream;
        _memory = new SecretMemory(Math.Max(MinimumCapacity, capacity));
    }

    /// <summary>Bytes as they are.</summary>
    public void Write(ReadOnlySpan<byte> bytes)
    {
        while (!bytes.IsEmpty)
        {
            if (_used == _memory.Length) Flush();
            int n = Math.Min(bytes.Length, _memory.Length - _used);
            bytes[..n].CopyTo(_memory.GetSpan()[_used..]);
            _used += n;
            bytes = bytes[n..];
        }
    }

    /// <summary>Text that is not secret (names, addresses, descriptions), as UTF-8.</summary>
    public void Write(string text)
    {
        int bytes = Encoding.UTF8.GetByteCount(text);
        if (bytes > _memory.Length - _used) Flush();
        if (bytes <= _memory.Length) _used += Encoding.UTF8.GetBytes(text, _memory.GetSpan()[_used..]);
        else Write(Encoding.UTF8.GetBytes(text)); // longer than the whole buffer: only ever free text
    }

    /// <summary>A key as 64 lowercase hex digits.</summary>
    public void WriteKey(in Key key)
    {
        Reserve(2 * Key.Size);
        key.WriteHex(_memory.GetSpan()[_used..]);
        _used += 2 * Key.Size;
    }

    /// <summary>An unsigned decimal number.</summary>
    public void WriteNumber(ulong value)
    {
        Reserve(20);
        value.TryFormat(_memory.GetSpan()[_used..], out int written, default, CultureInfo.InvariantCulture);
        _used += written;
    }

    /// <summary>One UAPI line, <paramref name="nameAndEquals"/> then the key in hex ("private_key=...\n").</summary>
    public void WriteLine(ReadOnlySpan<byte> nameAndEquals, in Key key)
    {
        Write(nameAndEquals);
        WriteKey(key);
        Write("\n"u8);
    }

    /// <summary>One UAPI line, <paramref name="nameAndEquals"/> then the number in decimal.</summary>
    public void WriteLine(ReadOnlySpan<byte> nameAndEquals, ulong value)
    {
        Write(nameAndEquals);
        WriteNumber(value);
        Write("\n"u8);
    }

    /// <summary>One UAPI line, <paramref name="nameAndEquals"/> then the text.</summary>
    public void WriteLine(ReadOnlySpan<byte> nameAndEquals, string value)
    {
        Write(nameAndEquals);
        Write(value);
        Write("\n"u8);
    }

    /// <summary>Sends what is buffered and zeroes it, even when sending fails.</summary>
    public void Flush()
    {
        if (_used == 0) return;
        var pending = _memory.GetSpan()[.._used];
        try { _stream.Write(pending); }
        finally
        {
            pending.Clear();
            _used = 0;
        }
    }

    private void Reserve(int bytes)
    {
        if (_memory.Length - _used < bytes) Flush();
    }

    /// <summary>Zeroes and releases the buffer (what was not flushed is dropped).</summary>
    public void Dispose() => ((IDisposable)_memory).Dispose();
}
