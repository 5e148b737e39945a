using WgSharp.Keys;
using WgSharp.Protocol.Cookies;

namespace WgSharp.Protocol.Noise;

/// <summary>
/// The device's own static key pair and the responder-side cookie checker keyed to it. The key pair is
/// an immutable object swapped atomically: the control plane replaces it while handshake workers read it.
/// </summary>
internal sealed class LocalIdentity
{
    private volatile StaticKeyPair? _keys;

    /// <summary>The current key pair (null without a private key). Read it once per use.</summary>
    public StaticKeyPair? Keys => _keys;
    public Key? PublicKey => _keys?.PublicKey;
    public CookieChecker CookieChecker { get; } = new();

    public bool HasKey => _keys is not null;

    /// <summary>Sets the private key (clamped, as wg(4) promises) or clears it with null or all-zero; the old one is zeroed.</summary>
    public void SetPrivateKey(Key? privateKey)
    {
        var next = privateKey is { IsZero: false } raw ? new StaticKeyPair(raw) : null;
        CookieChecker.SetPublicKey(next is null ? default : next.PublicKey.AsSpan());
        Interlocked.Exchange(ref _keys, next)?.Dispose();
    }
}
