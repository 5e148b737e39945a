using WgSharp.Crypto;

namespace WgSharp.Keys;

/// <summary>Key generation and derivation as `wg genkey`/`pubkey`/`genpsk` need them.</summary>
public static class KeyPair
{
    /// <summary>A new clamped Curve25519 private key.</summary>
    public static Key GeneratePrivateKey()
    {
        Span<byte> k = stackalloc byte[Key.Size];
        X25519.GeneratePrivateKey(k);
        var key = new Key(k);
        k.Clear();
        return key;
    }

    /// <summary>32 random bytes, as a preshared key.</summary>
    public static Key GeneratePresharedKey()
    {
        Span<byte> k = stackalloc byte[Key.Size];
        SecureRandom.Fill(k);
        var key = new Key(k);
        k.Clear();
        return key;
    }

    /// <summary>Clamps any 32 bytes into a valid private key (wg(4) accepts any random 32 bytes).</summary>
    public static Key ClampPrivateKey(in Key raw)
    {
        Span<byte> k = stackalloc byte[Key.Size];
        raw.CopyTo(k);
        X25519.Clamp(k);
        var key = new Key(k);
        k.Clear();
        return key;
    }

    /// <summary>The public key that belongs to <paramref name="privateKey"/>.</summary>
    public static Key DerivePublicKey(in Key privateKey)
    {
        Span<byte> pub = stackalloc byte[Key.Size];
        X25519.DerivePublicKey(privateKey.AsSpan(), pub);
        return new Key(pub);
    }
}
