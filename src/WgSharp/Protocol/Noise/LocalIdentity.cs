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

    /// <summary>
    /// The current key pair (null without a private key), for the control plane, which alone changes it. A handshake
    /// computing with it takes a <see cref="Hold"/> instead: a key change meanwhile would zero what it reads.
    /// </summary>
    public StaticKeyPair? Keys => _keys;

    /// <summary>
    /// The current key pair, held until the result is disposed: a change of key meanwhile retires the old pair, but
    /// zeroes it only once every hold is let go. Keys is null without a private key.
    /// </summary>
    public KeysHold Hold()
    {
        while (true)
        {
            var keys = _keys;
            if (keys is null) return default;
            if (keys.TryHold()) return new KeysHold(keys);
            // Retired and zeroed between the read and the hold: the field already names its successor.
        }
    }

    /// <summary>A hold on a key pair (see <see cref="Hold"/>); dispose it when the handshake step is done.</summary>
    public readonly ref struct KeysHold(StaticKeyPair? keys)
    {
        public StaticKeyPair? Keys { get; } = keys;

        public void Dispose() => Keys?.Release();
    }
    public Key? PublicKey => _keys?.PublicKey;
    public CookieChecker CookieChecker { get; } = new();

    public bool HasKey => _keys is not null;

    /// <summary>
    /// Sets the private key (clamped, as wg(4) promises) or clears it with null or all-zero; the old one is zeroed
    /// once no handshake holds it any more.
    /// </summary>
    public void SetPrivateKey(Key? privateKey)
    {
        var next = privateKey is { IsZero: false } raw ? new StaticKeyPair(raw) : null;
        CookieChecker.SetPublicKey(next is null ? default : next.PublicKey.AsSpan());
        Interlocked.Exchange(ref _keys, next)?.Dispose();
    }
}
