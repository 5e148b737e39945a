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
internal struct Blake2s
{
    public const int BlockSize = 64;
    public const int MaxHashSize = 32;

    private const uint IV0 = 0x6A09E667u, IV1 = 0xBB67AE85u, IV2 = 0x3C6EF372u, IV3 = 0xA54FF53Au,
        IV4 = 0x510E527Fu, IV5 = 0x9B05688Cu, IV6 = 0x1F83D9ABu, IV7 = 0x5BE0CD19u;

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
        _h[0] = IV0 ^ 0x01010000u ^ ((uint)key.Length << 8) ^ (uint)outLen;
        _h[1] = IV1; _h[2] = IV2; _h[3] = IV3; _h[4] = IV4; _h[5] = IV5; _h[6] = IV6; _h[7] = IV7;
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

    /// <summary>
    /// The compression function F, with the ten rounds written out so the message schedule
    /// (SIGMA) indexes locals instead of a table, and rotations written as shifts (which the JIT
    /// turns into ror) rather than 320 calls that would exhaust the JIT's inlining budget for
    /// one method. Each pair of lines is one G(a, b, c, d, m[sigma[2i]], m[sigma[2i+1]]) of
    /// RFC 7693 section 3.1; see docs/crypto.md for the measured effect.
    /// </summary>
    private static void Compress(ref State8 h, ReadOnlySpan<byte> block, ulong t, bool last)
    {
        block = block[..BlockSize];
        uint m0 = BinaryPrimitives.ReadUInt32LittleEndian(block), m1 = BinaryPrimitives.ReadUInt32LittleEndian(block[4..]),
            m2 = BinaryPrimitives.ReadUInt32LittleEndian(block[8..]), m3 = BinaryPrimitives.ReadUInt32LittleEndian(block[12..]),
            m4 = BinaryPrimitives.ReadUInt32LittleEndian(block[16..]), m5 = BinaryPrimitives.ReadUInt32LittleEndian(block[20..]),
            m6 = BinaryPrimitives.ReadUInt32LittleEndian(block[24..]), m7 = BinaryPrimitives.ReadUInt32LittleEndian(block[28..]),
            m8 = BinaryPrimitives.ReadUInt32LittleEndian(block[32..]), m9 = BinaryPrimitives.ReadUInt32LittleEndian(block[36..]),
            m10 = BinaryPrimitives.ReadUInt32LittleEndian(block[40..]), m11 = BinaryPrimitives.ReadUInt32LittleEndian(block[44..]),
            m12 = BinaryPrimitives.ReadUInt32LittleEndian(block[48..]), m13 = BinaryPrimitives.ReadUInt32LittleEndian(block[52..]),
            m14 = BinaryPrimitives.ReadUInt32LittleEndian(block[56..]), m15 = BinaryPrimitives.ReadUInt32LittleEndian(block[60..]);
        uint v0 = h[0], v1 = h[1], v2 = h[2], v3 = h[3], v4 = h[4], v5 = h[5], v6 = h[6], v7 = h[7];
        uint v8 = IV0, v9 = IV1, v10 = IV2, v11 = IV3;
        uint v12 = IV4 ^ (uint)t, v13 = IV5 ^ (uint)(t >> 32);
        uint v14 = last ? ~IV6 : IV6, v15 = IV7;

        // round 0
        v0 += v4 + m0; v12 ^= v0; v12 = (v12 >> 16) | (v12 << 16); v8 += v12; v4 ^= v8; v4 = (v4 >> 12) | (v4 << 20);
        v0 += v4 + m1; v12 ^= v0; v12 = (v12 >> 8) | (v12 << 24); v8 += v12; v4 ^= v8; v4 = (v4 >> 7) | (v4 << 25);
        v1 += v5 + m2; v13 ^= v1; v13 = (v13 >> 16) | (v13 << 16); v9 += v13; v5 ^= v9; v5 = (v5 >> 12) | (v5 << 20);
        v1 += v5 + m3; v13 ^= v1; v13 = (v13 >> 8) | (v13 << 24); v9 += v13; v5 ^= v9; v5 = (v5 >> 7) | (v5 << 25);
        v2 += v6 + m4; v14 ^= v2; v14 = (v14 >> 16) | (v14 << 16); v10 += v14; v6 ^= v10; v6 = (v6 >> 12) | (v6 << 20);
        v2 += v6 + m5; v14 ^= v2; v14 = (v14 >> 8) | (v14 << 24); v10 += v14; v6 ^= v10; v6 = (v6 >> 7) | (v6 << 25);
        v3 += v7 + m6; v15 ^= v3; v15 = (v15 >> 16) | (v15 << 16); v11 += v15; v7 ^= v11; v7 = (v7 >> 12) | (v7 << 20);
        v3 += v7 + m7; v15 ^= v3; v15 = (v15 >> 8) | (v15 << 24); v11 += v15; v7 ^= v11; v7 = (v7 >> 7) | (v7 << 25);
        v0 += v5 + m8; v15 ^= v0; v15 = (v15 >> 16) | (v15 << 16); v10 += v15; v5 ^= v10; v5 = (v5 >> 12) | (v5 << 20);
        v0 += v5 + m9; v15 ^= v0; v15 = (v15 >> 8) | (v15 << 24); v10 += v15; v5 ^= v10; v5 = (v5 >> 7) | (v5 << 25);
        v1 += v6 + m10; v12 ^= v1; v12 = (v12 >> 16) | (v12 << 16); v11 += v12; v6 ^= v11; v6 = (v6 >> 12) | (v6 << 20);
        v1 += v6 + m11; v12 ^= v1; v12 = (v12 >> 8) | (v12 << 24); v11 += v12; v6 ^= v11; v6 = (v6 >> 7) | (v6 << 25);
        v2 += v7 + m12; v13 ^= v2; v13 = (v13 >> 16) | (v13 << 16); v8 += v13; v7 ^= v8; v7 = (v7 >> 12) | (v7 << 20);
        v2 += v7 + m13; v13 ^= v2; v13 = (v13 >> 8) | (v13 << 24); v8 += v13; v7 ^= v8; v7 = (v7 >> 7) | (v7 << 25);
        v3 += v4 + m14; v14 ^= v3; v14 = (v14 >> 16) | (v14 << 16); v9 += v14; v4 ^= v9; v4 = (v4 >> 12) | (v4 << 20);
        v3 += v4 + m15; v14 ^= v3; v14 = (v14 >> 8) | (v14 << 24); v9 += v14; v4 ^= v9; v4 = (v4 >> 7) | (v4 << 25);
        // round 1
        v0 += v4 + m14; v12 ^= v0; v12 = (v12 >> 16) | (v12 << 16); v8 += v12; v4 ^= v8; v4 = (v4 >> 12) | (v4 << 20);
        v0 += v4 + m10; v12 ^= v0; v12 = (v12 >> 8) | (v12 << 24); v8 += v12; v4 ^= v8; v4 = (v4 >> 7) | (v4 << 25);
        v1 += v5 + m4; v13 ^= v1; v13 = (v13 >> 16) | (v13 << 16); v9 += v13; v5 ^= v9; v5 = (v5 >> 12) | (v5 << 20);
        v1 += v5 + m8; v13 ^= v1; v13 = (v13 >> 8) | (v13 << 24); v9 += v13; v5 ^= v9; v5 = (v5 >> 7) | (v5 << 25);
        v2 += v6 + m9; v14 ^= v2; v14 = (v14 >> 16) | (v14 << 16); v10 += v14; v6 ^= v10; v6 = (v6 >> 12) | (v6 << 20);
        v2 += v6 + m15; v14 ^= v2; v14 = (v14 >> 8) | (v14 << 24); v10 += v14; v6 ^= v10; v6 = (v6 >> 7) | (v6 << 25);
        v3 += v7 + m13; v15 ^= v3; v15 = (v15 >> 16) | (v15 << 16); v11 += v15; v7 ^= v11; v7 = (v7 >> 12) | (v7 << 20);
        v3 += v7 + m6; v15 ^= v3; v15 = (v15 >> 8) | (v15 << 24); v11 += v15; v7 ^= v11; v7 = (v7 >> 7) | (v7 << 25);
        v0 += v5 + m1; v15 ^= v0; v15 = (v15 >> 16) | (v15 << 16); v10 += v15; v5 ^= v10; v5 = (v5 >> 12) | (v5 << 20);
        v0 += v5 + m12; v15 ^= v0; v15 = (v15 >> 8) | (v15 << 24); v10 += v15; v5 ^= v10; v5 = (v5 >> 7) | (v5 << 25);
        v1 += v6 + m0; v12 ^= v1; v12 = (v12 >> 16) | (v12 << 16); v11 += v12; v6 ^= v11; v6 = (v6 >> 12) | (v6 << 20);
        v1 += v6 + m2; v12 ^= v1; v12 = (v12 >> 8) | (v12 << 24); v11 += v12; v6 ^= v11; v6 = (v6 >> 7) | (v6 << 25);
        v2 += v7 + m11; v13 ^= v2; v13 = (v13 >> 16) | (v13 << 16); v8 += v13; v7 ^= v8; v7 = (v7 >> 12) | (v7 << 20);
        v2 += v7 + m7; v13 ^= v2; v13 = (v13 >> 8) | (v13 << 24); v8 += v13; v7 ^= v8; v7 = (v7 >> 7) | (v7 << 25);
        v3 += v4 + m5; v14 ^= v3; v14 = (v14 >> 16) | (v14 << 16); v9 += v14; v4 ^= v9; v4 = (v4 >> 12) | (v4 << 20);
        v3 += v4 + m3; v14 ^= v3; v14 = (v14 >> 8) | (v14 << 24); v9 += v14; v4 ^= v9; v4 = (v4 >> 7) | (v4 << 25);
        // round 2
        v0 += v4 + m11; v12 ^= v0; v12 = (v12 >> 16) | (v12 << 16); v8 += v12; v4 ^= v8; v4 = (v4 >> 12) | (v4 << 20);
        v0 += v4 + m8; v12 ^= v0; v12 = (v12 >> 8) | (v12 << 24); v8 += v12; v4 ^= v8; v4 = (v4 >> 7) | (v4 << 25);
        v1 += v5 + m12; v13 ^= v1; v13 = (v13 >> 16) | (v13 << 16); v9 += v13; v5 ^= v9; v5 = (v5 >> 12) | (v5 << 20);
        v1 += v5 + m0; v13 ^= v1; v13 = (v13 >> 8) | (v13 << 24); v9 += v13; v5 ^= v9; v5 = (v5 >> 7) | (v5 << 25);
        v2 += v6 + m5; v14 ^= v2; v14 = (v14 >> 16) | (v14 << 16); v10 += v14; v6 ^= v10; v6 = (v6 >> 12) | (v6 << 20);
        v2 += v6 + m2; v14 ^= v2; v14 = (v14 >> 8) | (v14 << 24); v10 += v14; v6 ^= v10; v6 = (v6 >> 7) | (v6 << 25);
        v3 += v7 + m15; v15 ^= v3; v15 = (v15 >> 16) | (v15 << 16); v11 += v15; v7 ^= v11; v7 = (v7 >> 12) | (v7 << 20);
        v3 += v7 + m13; v15 ^= v3; v15 = (v15 >> 8) | (v15 << 24); v11 += v15; v7 ^= v11; v7 = (v7 >> 7) | (v7 << 25);
        v0 += v5 + m10; v15 ^= v0; v15 = (v15 >> 16) | (v15 << 16); v10 += v15; v5 ^= v10; v5 = (v5 >> 12) | (v5 << 20);
        v0 += v5 + m14; v15 ^= v0; v15 = (v15 >> 8) | (v15 << 24); v10 += v15; v5 ^= v10; v5 = (v5 >> 7) | (v5 << 25);
        v1 += v6 + m3; v12 ^= v1; v12 = (v12 >> 16) | (v12 << 16); v11 += v12; v6 ^= v11; v6 = (v6 >> 12) | (v6 << 20);
        v1 += v6 + m6; v12 ^= v1; v12 = (v12 >> 8) | (v12 << 24); v11 += v12; v6 ^= v11; v6 = (v6 >> 7) | (v6 << 25);
        v2 += v7 + m7; v13 ^= v2; v13 = (v13 >> 16) | (v13 << 16); v8 += v13; v7 ^= v8; v7 = (v7 >> 12) | (v7 << 20);
        v2 += v7 + m1; v13 ^= v2; v13 = (v13 >> 8) | (v13 << 24); v8 += v13; v7 ^= v8; v7 = (v7 >> 7) | (v7 << 25);
        v3 += v4 + m9; v14 ^= v3; v14 = (v14 >> 16) | (v14 << 16); v9 += v14; v4 ^= v9; v4 = (v4 >> 12) | (v4 << 20);
        v3 += v4 + m4; v14 ^= v3; v14 = (v14 >> 8) | (v14 << 24); v9 += v14; v4 ^= v9; v4 = (v4 >> 7) | (v4 << 25);
        // round 3
        v0 += v4 + m7; v12 ^= v0; v12 = (v12 >> 16) | (v12 << 16); v8 += v12; v4 ^= v8; v4 = (v4 >> 12) | (v4 << 20);
        v0 += v4 + m9; v12 ^= v0; v12 = (v12 >> 8) | (v12 << 24); v8 += v12; v4 ^= v8; v4 = (v4 >> 7) | (v4 << 25);
        v1 += v5 + m3; v13 ^= v1; v13 = (v13 >> 16) | (v13 << 16); v9 += v13; v5 ^= v9; v5 = (v5 >> 12) | (v5 << 20);
        v1 += v5 + m1; v13 ^= v1; v13 = (v13 >> 8) | (v13 << 24); v9 += v13; v5 ^= v9; v5 = (v5 >> 7) | (v5 << 25);
        v2 += v6 + m13; v14 ^= v2; v14 = (v14 >> 16) | (v14 << 16); v10 += v14; v6 ^= v10; v6 = (v6 >> 12) | (v6 << 20);
        v2 += v6 + m12; v14 ^= v2; v14 = (v14 >> 8) | (v14 << 24); v10 += v14; v6 ^= v10; v6 = (v6 >> 7) | (v6 << 25);
        v3 += v7 + m11; v15 ^= v3; v15 = (v15 >> 16) | (v15 << 16); v11 += v15; v7 ^= v11; v7 = (v7 >> 12) | (v7 << 20);
        v3 += v7 + m14; v15 ^= v3; v15 = (v15 >> 8) | (v15 << 24); v11 += v15; v7 ^= v11; v7 = (v7 >> 7) | (v7 << 25);
        v0 += v5 + m2; v15 ^= v0; v15 = (v15 >> 16) | (v15 << 16); v10 += v15; v5 ^= v10; v5 = (v5 >> 12) | (v5 << 20);
        v0 += v5 + m6; v15 ^= v0; v15 = (v15 >> 8) | (v15 << 24); v10 += v15; v5 ^= v10; v5 = (v5 >> 7) | (v5 << 25);
        v1 += v6 + m5; v12 ^= v1; v12 = (v12 >> 16) | (v12 << 16); v11 += v12; v6 ^= v11; v6 = (v6 >> 12) | (v6 << 20);
        v1 += v6 + m10; v12 ^= v1; v12 = (v12 >> 8) | (v12 << 24); v11 += v12; v6 ^= v11; v6 = (v6 >> 7) | (v6 << 25);
        v2 += v7 + m4; v13 ^= v2; v13 = (v13 >> 16) | (v13 << 16); v8 += v13; v7 ^= v8; v7 = (v7 >> 12) | (v7 << 20);
        v2 += v7 + m0; v13 ^= v2; v13 = (v13 >> 8) | (v13 << 24); v8 += v13; v7 ^= v8; v7 = (v7 >> 7) | (v7 << 25);
        v3 += v4 + m15; v14 ^= v3; v14 = (v14 >> 16) | (v14 << 16); v9 += v14; v4 ^= v9; v4 = (v4 >> 12) | (v4 << 20);
        v3 += v4 + m8; v14 ^= v3; v14 = (v14 >> 8) | (v14 << 24); v9 += v14; v4 ^= v9; v4 = (v4 >> 7) | (v4 << 25);
        // round 4
        v0 += v4 + m9; v12 ^= v0; v12 = (v12 >> 16) | (v12 << 16); v8 += v12; v4 ^= v8; v4 = (v4 >> 12) | (v4 << 20);
        v0 += v4 + m0; v12 ^= v0; v12 = (v12 >> 8) | (v12 << 24); v8 += v12; v4 ^= v8; v4 = (v4 >> 7) | (v4 << 25);
        v1 += v5 + m5; v13 ^= v1; v13 = (v13 >> 16) | (v13 << 16); v9 += v13; v5 ^= v9; v5 = (v5 >> 12) | (v5 << 20);
        v1 += v5 + m7; v13 ^= v1; v13 = (v13 >> 8) | (v13 << 24); v9 += v13; v5 ^= v9; v5 = (v5 >> 7) | (v5 << 25);
        v2 += v6 + m2; v14 ^= v2; v14 = (v14 >> 16) | (v14 << 16); v10 += v14; v6 ^= v10; v6 = (v6 >> 12) | (v6 << 20);
        v2 += v6 + m4; v14 ^= v2; v14 = (v14 >> 8) | (v14 << 24); v10 += v14; v6 ^= v10; v6 = (v6 >> 7) | (v6 << 25);
        v3 += v7 + m10; v15 ^= v3; v15 = (v15 >> 16) | (v15 << 16); v11 += v15; v7 ^= v11; v7 = (v7 >> 12) | (v7 << 20);
        v3 += v7 + m15; v15 ^= v3; v15 = (v15 >> 8) | (v15 << 24); v11 += v15; v7 ^= v11; v7 = (v7 >> 7) | (v7 << 25);
        v0 += v5 + m14; v15 ^= v0; v15 = (v15 >> 16) | (v15 << 16); v10 += v15; v5 ^= v10; v5 = (v5 >> 12) | (v5 << 20);
        v0 += v5 + m1; v15 ^= v0; v15 = (v15 >> 8) | (v15 << 24); v10 += v15; v5 ^= v10; v5 = (v5 >> 7) | (v5 << 25);
        v1 += v6 + m11; v12 ^= v1; v12 = (v12 >> 16) | (v12 << 16); v11 += v12; v6 ^= v11; v6 = (v6 >> 12) | (v6 << 20);
        v1 += v6 + m12; v12 ^= v1; v12 = (v12 >> 8) | (v12 << 24); v11 += v12; v6 ^= v11; v6 = (v6 >> 7) | (v6 << 25);
        v2 += v7 + m6; v13 ^= v2; v13 = (v13 >> 16) | (v13 << 16); v8 += v13; v7 ^= v8; v7 = (v7 >> 12) | (v7 << 20);
        v2 += v7 + m8; v13 ^= v2; v13 = (v13 >> 8) | (v13 << 24); v8 += v13; v7 ^= v8; v7 = (v7 >> 7) | (v7 << 25);
        v3 += v4 + m3; v14 ^= v3; v14 = (v14 >> 16) | (v14 << 16); v9 += v14; v4 ^= v9; v4 = (v4 >> 12) | (v4 << 20);
        v3 += v4 + m13; v14 ^= v3; v14 = (v14 >> 8) | (v14 << 24); v9 += v14; v4 ^= v9; v4 = (v4 >> 7) | (v4 << 25);
        // round 5
        v0 += v4 + m2; v12 ^= v0; v12 = (v12 >> 16) | (v12 << 16); v8 += v12; v4 ^= v8; v4 = (v4 >> 12) | (v4 << 20);
        v0 += v4 + m12; v12 ^= v0; v12 = (v12 >> 8) | (v12 << 24); v8 += v12; v4 ^= v8; v4 = (v4 >> 7) | (v4 << 25);
        v1 += v5 + m6; v13 ^= v1; v13 = (v13 >> 16) | (v13 << 16); v9 += v13; v5 ^= v9; v5 = (v5 >> 12) | (v5 << 20);
        v1 += v5 + m10; v13 ^= v1; v13 = (v13 >> 8) | (v13 << 24); v9 += v13; v5 ^= v9; v5 = (v5 >> 7) | (v5 << 25);
        v2 += v6 + m0; v14 ^= v2; v14 = (v14 >> 16) | (v14 << 16); v10 += v14; v6 ^= v10; v6 = (v6 >> 12) | (v6 << 20);
        v2 += v6 + m11; v14 ^= v2; v14 = (v14 >> 8) | (v14 << 24); v10 += v14; v6 ^= v10; v6 = (v6 >> 7) | (v6 << 25);
        v3 += v7 + m8; v15 ^= v3; v15 = (v15 >> 16) | (v15 << 16); v11 += v15; v7 ^= v11; v7 = (v7 >> 12) | (v7 << 20);
        v3 += v7 + m3; v15 ^= v3; v15 = (v15 >> 8) | (v15 << 24); v11 += v15; v7 ^= v11; v7 = (v7 >> 7) | (v7 << 25);
        v0 += v5 + m4; v15 ^= v0; v15 = (v15 >> 16) | (v15 << 16); v10 += v15; v5 ^= v10; v5 = (v5 >> 12) | (v5 << 20);
        v0 += v5 + m13; v15 ^= v0; v15 = (v15 >> 8) | (v15 << 24); v10 += v15; v5 ^= v10; v5 = (v5 >> 7) | (v5 << 25);
        v1 += v6 + m7; v12 ^= v1; v12 = (v12 >> 16) | (v12 << 16); v11 += v12; v6 ^= v11; v6 = (v6 >> 12) | (v6 << 20);
        v1 += v6 + m5; v12 ^= v1; v12 = (v12 >> 8) | (v12 << 24); v11 += v12; v6 ^= v11; v6 = (v6 >> 7) | (v6 << 25);
        v2 += v7 + m15; v13 ^= v2; v13 = (v13 >> 16) | (v13 << 16); v8 += v13; v7 ^= v8; v7 = (v7 >> 12) | (v7 << 20);
        v2 += v7 + m14; v13 ^= v2; v13 = (v13 >> 8) | (v13 << 24); v8 += v13; v7 ^= v8; v7 = (v7 >> 7) | (v7 << 25);
        v3 += v4 + m1; v14 ^= v3; v14 = (v14 >> 16) | (v14 << 16); v9 += v14; v4 ^= v9; v4 = (v4 >> 12) | (v4 << 20);
        v3 += v4 + m9; v14 ^= v3; v14 = (v14 >> 8) | (v14 << 24); v9 += v14; v4 ^= v9; v4 = (v4 >> 7) | (v4 << 25);
        // round 6
        v0 += v4 + m12; v12 ^= v0; v12 = (v12 >> 16) | (v12 << 16); v8 += v12; v4 ^= v8; v4 = (v4 >> 12) | (v4 << 20);
        v0 += v4 + m5; v12 ^= v0; v12 = (v12 >> 8) | (v12 << 24); v8 += v12; v4 ^= v8; v4 = (v4 >> 7) | (v4 << 25);
        v1 += v5 + m1; v13 ^= v1; v13 = (v13 >> 16) | (v13 << 16); v9 += v13; v5 ^= v9; v5 = (v5 >> 12) | (v5 << 20);
        v1 += v5 + m15; v13 ^= v1; v13 = (v13 >> 8) | (v13 << 24); v9 += v13; v5 ^= v9; v5 = (v5 >> 7) | (v5 << 25);
        v2 += v6 + m14; v14 ^= v2; v14 = (v14 >> 16) | (v14 << 16); v10 += v14; v6 ^= v10; v6 = (v6 >> 12) | (v6 << 20);
        v2 += v6 + m13; v14 ^= v2; v14 = (v14 >> 8) | (v14 << 24); v10 += v14; v6 ^= v10; v6 = (v6 >> 7) | (v6 << 25);
        v3 += v7 + m4; v15 ^= v3; v15 = (v15 >> 16) | (v15 << 16); v11 += v15; v7 ^= v11; v7 = (v7 >> 12) | (v7 << 20);
        v3 += v7 + m10; v15 ^= v3; v15 = (v15 >> 8) | (v15 << 24); v11 += v15; v7 ^= v11; v7 = (v7 >> 7) | (v7 << 25);
        v0 += v5 + m0; v15 ^= v0; v15 = (v15 >> 16) | (v15 << 16); v10 += v15; v5 ^= v10; v5 = (v5 >> 12) | (v5 << 20);
        v0 += v5 + m7; v15 ^= v0; v15 = (v15 >> 8) | (v15 << 24); v10 += v15; v5 ^= v10; v5 = (v5 >> 7) | (v5 << 25);
        v1 += v6 + m6; v12 ^= v1; v12 = (v12 >> 16) | (v12 << 16); v11 += v12; v6 ^= v11; v6 = (v6 >> 12) | (v6 << 20);
        v1 += v6 + m3; v12 ^= v1; v12 = (v12 >> 8) | (v12 << 24); v11 += v12; v6 ^= v11; v6 = (v6 >> 7) | (v6 << 25);
        v2 += v7 + m9; v13 ^= v2; v13 = (v13 >> 16) | (v13 << 16); v8 += v13; v7 ^= v8; v7 = (v7 >> 12) | (v7 << 20);
        v2 += v7 + m2; v13 ^= v2; v13 = (v13 >> 8) | (v13 << 24); v8 += v13; v7 ^= v8; v7 = (v7 >> 7) | (v7 << 25);
        v3 += v4 + m8; v14 ^= v3; v14 = (v14 >> 16) | (v14 << 16); v9 += v14; v4 ^= v9; v4 = (v4 >> 12) | (v4 << 20);
        v3 += v4 + m11; v14 ^= v3; v14 = (v14 >> 8) | (v14 << 24); v9 += v14; v4 ^= v9; v4 = (v4 >> 7) | (v4 << 25);
        // round 7
        v0 += v4 + m13; v12 ^= v0; v12 = (v12 >> 16) | (v12 << 16); v8 += v12; v4 ^= v8; v4 = (v4 >> 12) | (v4 << 20);
        v0 += v4 + m11; v12 ^= v0; v12 = (v12 >> 8) | (v12 << 24); v8 += v12; v4 ^= v8; v4 = (v4 >> 7) | (v4 << 25);
        v1 += v5 + m7; v13 ^= v1; v13 = (v13 >> 16) | (v13 << 16); v9 += v13; v5 ^= v9; v5 = (v5 >> 12) | (v5 << 20);
        v1 += v5 + m14; v13 ^= v1; v13 = (v13 >> 8) | (v13 << 24); v9 += v13; v5 ^= v9; v5 = (v5 >> 7) | (v5 << 25);
        v2 += v6 + m12; v14 ^= v2; v14 = (v14 >> 16) | (v14 << 16); v10 += v14; v6 ^= v10; v6 = (v6 >> 12) | (v6 << 20);
        v2 += v6 + m1; v14 ^= v2; v14 = (v14 >> 8) | (v14 << 24); v10 += v14; v6 ^= v10; v6 = (v6 >> 7) | (v6 << 25);
        v3 += v7 + m3; v15 ^= v3; v15 = (v15 >> 16) | (v15 << 16); v11 += v15; v7 ^= v11; v7 = (v7 >> 12) | (v7 << 20);
        v3 += v7 + m9; v15 ^= v3; v15 = (v15 >> 8) | (v15 << 24); v11 += v15; v7 ^= v11; v7 = (v7 >> 7) | (v7 << 25);
        v0 += v5 + m5; v15 ^= v0; v15 = (v15 >> 16) | (v15 << 16); v10 += v15; v5 ^= v10; v5 = (v5 >> 12) | (v5 << 20);
        v0 += v5 + m0; v15 ^= v0; v15 = (v15 >> 8) | (v15 << 24); v10 += v15; v5 ^= v10; v5 = (v5 >> 7) | (v5 << 25);
        v1 += v6 + m15; v12 ^= v1; v12 = (v12 >> 16) | (v12 << 16); v11 += v12; v6 ^= v11; v6 = (v6 >> 12) | (v6 << 20);
        v1 += v6 + m4; v12 ^= v1; v12 = (v12 >> 8) | (v12 << 24); v11 += v12; v6 ^= v11; v6 = (v6 >> 7) | (v6 << 25);
        v2 += v7 + m8; v13 ^= v2; v13 = (v13 >> 16) | (v13 << 16); v8 += v13; v7 ^= v8; v7 = (v7 >> 12) | (v7 << 20);
        v2 += v7 + m6; v13 ^= v2; v13 = (v13 >> 8) | (v13 << 24); v8 += v13; v7 ^= v8; v7 = (v7 >> 7) | (v7 << 25);
        v3 += v4 + m2; v14 ^= v3; v14 = (v14 >> 16) | (v14 << 16); v9 += v14; v4 ^= v9; v4 = (v4 >> 12) | (v4 << 20);
        v3 += v4 + m10; v14 ^= v3; v14 = (v14 >> 8) | (v14 << 24); v9 += v14; v4 ^= v9; v4 = (v4 >> 7) | (v4 << 25);
        // round 8
        v0 += v4 + m6; v12 ^= v0; v12 = (v12 >> 16) | (v12 << 16); v8 += v12; v4 ^= v8; v4 = (v4 >> 12) | (v4 << 20);
        v0 += v4 + m15; v12 ^= v0; v12 = (v12 >> 8) | (v12 << 24); v8 += v12; v4 ^= v8; v4 = (v4 >> 7) | (v4 << 25);
        v1 += v5 + m14; v13 ^= v1; v13 = (v13 >> 16) | (v13 << 16); v9 += v13; v5 ^= v9; v5 = (v5 >> 12) | (v5 << 20);
        v1 += v5 + m9; v13 ^= v1; v13 = (v13 >> 8) | (v13 << 24); v9 += v13; v5 ^= v9; v5 = (v5 >> 7) | (v5 << 25);
        v2 += v6 + m11; v14 ^= v2; v14 = (v14 >> 16) | (v14 << 16); v10 += v14; v6 ^= v10; v6 = (v6 >> 12) | (v6 << 20);
        v2 += v6 + m3; v14 ^= v2; v14 = (v14 >> 8) | (v14 << 24); v10 += v14; v6 ^= v10; v6 = (v6 >> 7) | (v6 << 25);
        v3 += v7 + m0; v15 ^= v3; v15 = (v15 >> 16) | (v15 << 16); v11 += v15; v7 ^= v11; v7 = (v7 >> 12) | (v7 << 20);
        v3 += v7 + m8; v15 ^= v3; v15 = (v15 >> 8) | (v15 << 24); v11 += v15; v7 ^= v11; v7 = (v7 >> 7) | (v7 << 25);
        v0 += v5 + m12; v15 ^= v0; v15 = (v15 >> 16) | (v15 << 16); v10 += v15; v5 ^= v10; v5 = (v5 >> 12) | (v5 << 20);
        v0 += v5 + m2; v15 ^= v0; v15 = (v15 >> 8) | (v15 << 24); v10 += v15; v5 ^= v10; v5 = (v5 >> 7) | (v5 << 25);
        v1 += v6 + m13; v12 ^= v1; v12 = (v12 >> 16) | (v12 << 16); v11 += v12; v6 ^= v11; v6 = (v6 >> 12) | (v6 << 20);
        v1 += v6 + m7; v12 ^= v1; v12 = (v12 >> 8) | (v12 << 24); v11 += v12; v6 ^= v11; v6 = (v6 >> 7) | (v6 << 25);
        v2 += v7 + m1; v13 ^= v2; v13 = (v13 >> 16) | (v13 << 16); v8 += v13; v7 ^= v8; v7 = (v7 >> 12) | (v7 << 20);
        v2 += v7 + m4; v13 ^= v2; v13 = (v13 >> 8) | (v13 << 24); v8 += v13; v7 ^= v8; v7 = (v7 >> 7) | (v7 << 25);
        v3 += v4 + m10; v14 ^= v3; v14 = (v14 >> 16) | (v14 << 16); v9 += v14; v4 ^= v9; v4 = (v4 >> 12) | (v4 << 20);
        v3 += v4 + m5; v14 ^= v3; v14 = (v14 >> 8) | (v14 << 24); v9 += v14; v4 ^= v9; v4 = (v4 >> 7) | (v4 << 25);
        // round 9
        v0 += v4 + m10; v12 ^= v0; v12 = (v12 >> 16) | (v12 << 16); v8 += v12; v4 ^= v8; v4 = (v4 >> 12) | (v4 << 20);
        v0 += v4 + m2; v12 ^= v0; v12 = (v12 >> 8) | (v12 << 24); v8 += v12; v4 ^= v8; v4 = (v4 >> 7) | (v4 << 25);
        v1 += v5 + m8; v13 ^= v1; v13 = (v13 >> 16) | (v13 << 16); v9 += v13; v5 ^= v9; v5 = (v5 >> 12) | (v5 << 20);
        v1 += v5 + m4; v13 ^= v1; v13 = (v13 >> 8) | (v13 << 24); v9 += v13; v5 ^= v9; v5 = (v5 >> 7) | (v5 << 25);
        v2 += v6 + m7; v14 ^= v2; v14 = (v14 >> 16) | (v14 << 16); v10 += v14; v6 ^= v10; v6 = (v6 >> 12) | (v6 << 20);
        v2 += v6 + m6; v14 ^= v2; v14 = (v14 >> 8) | (v14 << 24); v10 += v14; v6 ^= v10; v6 = (v6 >> 7) | (v6 << 25);
        v3 += v7 + m1; v15 ^= v3; v15 = (v15 >> 16) | (v15 << 16); v11 += v15; v7 ^= v11; v7 = (v7 >> 12) | (v7 << 20);
        v3 += v7 + m5; v15 ^= v3; v15 = (v15 >> 8) | (v15 << 24); v11 += v15; v7 ^= v11; v7 = (v7 >> 7) | (v7 << 25);
        v0 += v5 + m15; v15 ^= v0; v15 = (v15 >> 16) | (v15 << 16); v10 += v15; v5 ^= v10; v5 = (v5 >> 12) | (v5 << 20);
        v0 += v5 + m11; v15 ^= v0; v15 = (v15 >> 8) | (v15 << 24); v10 += v15; v5 ^= v10; v5 = (v5 >> 7) | (v5 << 25);
        v1 += v6 + m9; v12 ^= v1; v12 = (v12 >> 16) | (v12 << 16); v11 += v12; v6 ^= v11; v6 = (v6 >> 12) | (v6 << 20);
        v1 += v6 + m14; v12 ^= v1; v12 = (v12 >> 8) | (v12 << 24); v11 += v12; v6 ^= v11; v6 = (v6 >> 7) | (v6 << 25);
        v2 += v7 + m3; v13 ^= v2; v13 = (v13 >> 16) | (v13 << 16); v8 += v13; v7 ^= v8; v7 = (v7 >> 12) | (v7 << 20);
        v2 += v7 + m12; v13 ^= v2; v13 = (v13 >> 8) | (v13 << 24); v8 += v13; v7 ^= v8; v7 = (v7 >> 7) | (v7 << 25);
        v3 += v4 + m13; v14 ^= v3; v14 = (v14 >> 16) | (v14 << 16); v9 += v14; v4 ^= v9; v4 = (v4 >> 12) | (v4 << 20);
        v3 += v4 + m0; v14 ^= v3; v14 = (v14 >> 8) | (v14 << 24); v9 += v14; v4 ^= v9; v4 = (v4 >> 7) | (v4 << 25);

        h[0] ^= v0 ^ v8; h[1] ^= v1 ^ v9; h[2] ^= v2 ^ v10; h[3] ^= v3 ^ v11;
        h[4] ^= v4 ^ v12; h[5] ^= v5 ^ v13; h[6] ^= v6 ^ v14; h[7] ^= v7 ^ v15;
    }
}
