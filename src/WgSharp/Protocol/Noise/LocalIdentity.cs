using WgSharp.Keys;
using WgSharp.Protocol.Cookies;

namespace WgSharp.Protocol.Noise;

/// <summary>The device's own static key pair and the responder-side cookie checker keyed to it.</summary>
public sealed class LocalIdentity
{
    public Key? PrivateKey { get; private set; }
    public Key? PublicKey { get; private set; }
    public CookieChecker CookieChecker { get; } = new();

    public bool HasKey => PrivateKey is not null;

    /// <summary>Sets the private key (clamped, as wg(4) promises) or clears it with null or all-zero.</summary>
    public void SetPrivateKey(Key? privateKey)
    {
        if (privateKey is not { } raw || raw.IsZero)
        {
            PrivateKey = null;
            PublicKey = null;
            CookieChecker.SetPublicKey(default);
            return;
        }
        var clamped = KeyPair.ClampPrivateKey(raw);
        PrivateKey = clamped;
        PublicKey = KeyPair.DerivePublicKey(clamped);
        CookieChecker.SetPublicKey(PublicKey.Value.AsSpan());
    }
}
