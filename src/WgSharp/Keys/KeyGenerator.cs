using WgSharp.Crypto;

namespace WgSharp.Keys;

/// <summary>
/// Makes WireGuard keys, as <c>wg genkey</c>, <c>wg pubkey</c> and <c>wg genpsk</c> do: a new private key, the public
/// key that belongs to a private key, a new preshared key.
/// </summary>
/// <example>
/// <code>
/// Key privateKey = KeyGenerator.GeneratePrivateKey();
/// Key publicKey = KeyGenerator.DerivePublicKey(privateKey);   // give publicKey.ToBase64() to the peer
/// </code>
/// </example>
public static class KeyGenerator
{
    /// <summary>A new clamped Curve25519 private key from the system's secure random generator.</summary>
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

    /// <summary>The public key that belongs to <paramref name="privateKey"/> (Curve25519 scalar multiplication), as <c>wg pubkey</c>.</summary>
    public static Key DerivePublicKey(in Key privateKey)
    {
        Span<byte> pub = stackalloc byte[Key.Size];
        X25519.DerivePublicKey(privateKey.AsSpan(), pub);
        return new Key(pub);
    }
}
