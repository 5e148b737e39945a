using System.Buffers.Binary;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Security.Cryptography;

namespace WgSharp.Crypto;

/// <summary>
/// BLAKE2s (RFC 7693), unkeyed and keyed, any digest length 1..32. Written by hand because
/// neither the BCL nor libsodium offers BLAKE2s, and the handshake and mac1 checks need an
/// allocation-free incremental hash. Proven against the official BLAKE2 KAT vectors in tests.
/// </summary>
public struct Blake2s
{
    public const int BlockSize = 64;
    public const int MaxHashSize = 32;

    private static readonly uint[] IV =
    [
        0x6A09E667u, 0xBB67AE85u, 0x3C6EF372u, 0xA54FF53Au,
        0x510E527Fu, 0x9B05688Cu, 0x1F83D9ABu, 0x5BE0CD19u,
    ];

    private static ReadOnlySpan<byte> Sigma =>
    [
        0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15,
        14, 10, 4, 8, 9, 15, 13, 6, 1, 12, 0, 2, 11, 7, 5, 3,
        11, 8, 12, 0, 5, 2, 15, 13, 10, 14, 3, 6, 7, 1, 9, 4,
        7, 9, 3, 1, 13, 12, 11, 14, 2, 6, 5, 10, 4, 0, 15, 8,
        9, 0, 5, 7, 2, 4, 10, 15, 14, 1, 11, 12, 6, 8, 3, 13,
        2, 12, 6, 10, 0, 11, 8, 3, 4, 13, 7, 5, 15, 14, 1, 9,
        12, 5, 1, 15, 14, 13, 4, 10, 0, 7, 6, 3, 9, 2, 8, 11,
        13, 11, 7, 14, 12, 1, 3, 9, 5, 0, 15, 4, 8, 6, 2, 10,
        6, 15, 14, 9, 11, 3, 0, 8, 12, 2, 13, 7, 1, 4, 10, 5,
        10, 2, 8, 4, 7, 6, 1, 5, 15, 11, 9, 14, 3, 12, 13, 0,
    ];

    [InlineArray(8)] private struct State8 { private uint _e; }
    [InlineArray(BlockSize)] private struct Block { private byte _e; }

    private State8 _h;
    private Block _buf;
    private int _bufLen;
    private ulong _t;
    private int _outLen;

    /// <summary>Starts a hash of outLen bytes, keyed when key is non-empty (key at most 32 bytes).</summary>
    public Blake2s(int outLen, ReadOnlySpan<byte> key = default)
    {
        if (outLen is < 1 or > MaxHashSize) throw new ArgumentOutOfRangeException(nameof(outLen));
        if (key.Length > 32) throw new ArgumentOutOfRangeException(nameof(key));
        _outLen = outLen;
        for (int i = 0; i < 8; i++) _h[i] = IV[i];
        _h[0] ^= 0x01010000u ^ ((uint)key.Length << 8) ^ (uint)outLen;
        _bufLen = 0;
        _t = 0;
        if (key.Length > 0)
        {
            Span<byte> b = _buf;
            b.Clear();
            key.CopyTo(b);
            _bufLen = BlockSize;
        }
    }

    public void Update(ReadOnlySpan<byte> data)
    {
        Span<byte> buf = _buf;
        while (data.Length > 0)
        {
            if (_bufLen == BlockSize)
            {
                // Only compress a full buffer once more input arrives: the last block is special.
                _t += BlockSize;
                Compress(ref _h, buf, _t, false);
                _bufLen = 0;
            }
            int n = Math.Min(BlockSize - _bufLen, data.Length);
            data[..n].CopyTo(buf[_bufLen..]);
            _bufLen += n;
            data = data[n..];
        }
    }

    public void Final(Span<byte> output)
    {
        if (output.Length < _outLen) throw new ArgumentException("output too small");
        Span<byte> buf = _buf;
        _t += (ulong)_bufLen;
        buf[_bufLen..].Clear();
        Compress(ref _h, buf, _t, true);
        Span<byte> full = stackalloc byte[32];
        for (int i = 0; i < 8; i++) BinaryPrimitives.WriteUInt32LittleEndian(full[(i * 4)..], _h[i]);
        full[.._outLen].CopyTo(output);
        CryptographicOperations.ZeroMemory(full);
        CryptographicOperations.ZeroMemory(buf);
        Span<uint> h = _h;
        h.Clear();
    }

    /// <summary>One-shot hash.</summary>
    public static void Hash(Span<byte> output, ReadOnlySpan<byte> data, ReadOnlySpan<byte> key = default)
    {
        var s = new Blake2s(output.Length, key);
        s.Update(data);
        s.Final(output);
    }

    /// <summary>One-shot hash of two concatenated inputs (the common Noise pattern Hash(a || b)).</summary>
    public static void HashConcat(Span<byte> output, ReadOnlySpan<byte> a, ReadOnlySpan<byte> b)
    {
        var s = new Blake2s(output.Length);
        s.Update(a);
        s.Update(b);
        s.Final(output);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void G(ref uint a, ref uint b, ref uint c, ref uint d, uint x, uint y)
    {
        a = a + b + x; d = BitOperations.RotateRight(d ^ a, 16);
        c += d; b = BitOperations.RotateRight(b ^ c, 12);
        a = a + b + y; d = BitOperations.RotateRight(d ^ a, 8);
        c += d; b = BitOperations.RotateRight(b ^ c, 7);
    }

    private static void Compress(ref State8 h, ReadOnlySpan<byte> block, ulong t, bool last)
    {
        Span<uint> m = stackalloc uint[16];
        for (int i = 0; i < 16; i++) m[i] = BinaryPrimitives.ReadUInt32LittleEndian(block[(i * 4)..]);
        uint v0 = h[0], v1 = h[1], v2 = h[2], v3 = h[3], v4 = h[4], v5 = h[5], v6 = h[6], v7 = h[7];
        uint v8 = IV[0], v9 = IV[1], v10 = IV[2], v11 = IV[3];
        uint v12 = IV[4] ^ (uint)t, v13 = IV[5] ^ (uint)(t >> 32);
        uint v14 = last ? ~IV[6] : IV[6], v15 = IV[7];
        ReadOnlySpan<byte> sigma = Sigma;
        for (int r = 0; r < 10; r++)
        {
            var s = sigma.Slice(r * 16, 16);
            G(ref v0, ref v4, ref v8, ref v12, m[s[0]], m[s[1]]);
            G(ref v1, ref v5, ref v9, ref v13, m[s[2]], m[s[3]]);
            G(ref v2, ref v6, ref v10, ref v14, m[s[4]], m[s[5]]);
            G(ref v3, ref v7, ref v11, ref v15, m[s[6]], m[s[7]]);
            G(ref v0, ref v5, ref v10, ref v15, m[s[8]], m[s[9]]);
            G(ref v1, ref v6, ref v11, ref v12, m[s[10]], m[s[11]]);
            G(ref v2, ref v7, ref v8, ref v13, m[s[12]], m[s[13]]);
            G(ref v3, ref v4, ref v9, ref v14, m[s[14]], m[s[15]]);
        }
        h[0] ^= v0 ^ v8; h[1] ^= v1 ^ v9; h[2] ^= v2 ^ v10; h[3] ^= v3 ^ v11;
        h[4] ^= v4 ^ v12; h[5] ^= v5 ^ v13; h[6] ^= v6 ^ v14; h[7] ^= v7 ^ v15;
        m.Clear();
    }
}
