using System.Security.Cryptography;

namespace WgSharp.Crypto;

/// <summary>
/// HMAC-BLAKE2s (RFC 2104 over BLAKE2s-256, 64-byte block) and the HKDF-style KDF1/2/3 that the
/// Noise protocol framework defines and WireGuard uses for its chaining key.
/// </summary>
internal static class NoiseKdf
{
    public const int HashLen = 32;

    public static void Hmac(Span<byte> output, ReadOnlySpan<byte> key, ReadOnlySpan<byte> data)
    {
        if (output.Length < HashLen) throw new ArgumentException("output too small");
        Span<byte> k = stackalloc byte[Blake2s.BlockSize];
        k.Clear();
        if (key.Length > Blake2s.BlockSize) Blake2s.Hash(k[..HashLen], key);
        else key.CopyTo(k);

        Span<byte> pad = stackalloc byte[Blake2s.BlockSize];
        for (int i = 0; i < pad.Length; i++) pad[i] = (byte)(k[i] ^ 0x36);
        Span<byte> inner = stackalloc byte[HashLen];
        var h = new Blake2s(HashLen);
        h.Update(pad);
        h.Update(data);
        h.Final(inner);

        for (int i = 0; i < pad.Length; i++) pad[i] = (byte)(k[i] ^ 0x5c);
        h = new Blake2s(HashLen);
        h.Update(pad);
        h.Update(inner);
        h.Final(output[..HashLen]);

        CryptographicOperations.ZeroMemory(k);
        CryptographicOperations.ZeroMemory(pad);
        CryptographicOperations.ZeroMemory(inner);
    }

    /// <summary>KDF_n(key, input): up to three 32-byte outputs; pass empty spans for those not wanted.</summary>
    public static void Derive(ReadOnlySpan<byte> chainingKey, ReadOnlySpan<byte> input,
        Span<byte> out1, Span<byte> out2 = default, Span<byte> out3 = default)
    {
        Span<byte> prk = stackalloc byte[HashLen];
        Span<byte> t = stackalloc byte[HashLen + 1];
        Hmac(prk, chainingKey, input);

        t[0] = 1;
        Hmac(t[..HashLen], prk, t[..1]);
        t[..HashLen].CopyTo(out1);
        if (!out2.IsEmpty)
        {
            t[HashLen] = 2;
            Hmac(t[..HashLen], prk, t);
            t[..HashLen].CopyTo(out2);
            if (!out3.IsEmpty)
            {
                t[HashLen] = 3;
                Hmac(t[..HashLen], prk, t);
                t[..HashLen].CopyTo(out3);
            }
        }
        CryptographicOperations.ZeroMemory(prk);
        CryptographicOperations.ZeroMemory(t);
        // The inputs (chaining key, preshared key, DH results) also passed through HMAC's and BLAKE2s' frames.
        Keys.SecretMemory.ScrubStack(TransientStackBytes);
    }

    /// <summary>More than Derive's callees use (HMAC, BLAKE2s' compression): all of it is overwritten after each call.</summary>
    private const int TransientStackBytes = 4096;
}
