using System.Security.Cryptography;
using WgSharp.Crypto;
using WgSharp.Protocol.Noise;

namespace WgSharp.Protocol.Cookies;

/// <summary>
/// The initiator side of the cookie mechanism, one per peer: stamps mac1 (keyed to the peer's
/// public key) and, while we hold a fresh cookie from that peer, mac2 on every handshake
/// message we send; consumes the peer's cookie replies. Thread-safe.
/// </summary>
internal sealed class CookieGenerator
{
    // The two keys, the last mac1 sent and the cookie share one array: one object header per peer, not four. The
    // array never leaves this class, so it is the lock too (a lock object of its own would be 24 bytes per peer).
    private readonly byte[] _fields = new byte[2 * 32 + 2 * MessageLayout.MacSize];
    private readonly Lock _lock = new();
    private Span<byte> Mac1Key => _fields.AsSpan(0, 32);
    private Span<byte> CookieKey => _fields.AsSpan(32, 32);
    private Span<byte> LastMac1 => _fields.AsSpan(64, MessageLayout.MacSize);
    private Span<byte> Cookie => _fields.AsSpan(64 + MessageLayout.MacSize, MessageLayout.MacSize);
    private bool _hasLastMac1;
    private bool _hasCookie;
    private TimeSpan _cookieTime;

    public CookieGenerator(ReadOnlySpan<byte> peerPublicKey)
    {
        NoiseConstants.LabelKey(Mac1Key, NoiseConstants.LabelMac1, peerPublicKey);
        NoiseConstants.LabelKey(CookieKey, NoiseConstants.LabelCookie, peerPublicKey);
    }

    /// <summary>Writes mac1 and mac2 into the last 32 bytes of an initiation or response we send.</summary>
    public void AddMacs(Span<byte> message, TimeSpan now)
    {
        int off1 = MacCalculator.Mac1Offset(message);
        int off2 = MacCalculator.Mac2Offset(message);
        lock (_lock)
        {
            MacCalculator.Mac(message.Slice(off1, MessageLayout.MacSize), Mac1Key, message[..off1]);
            message.Slice(off1, MessageLayout.MacSize).CopyTo(LastMac1);
            _hasLastMac1 = true;
            // A cookie is good for two minutes minus a margin, so it is never used just as the responder rotates.
            if (_hasCookie && now - _cookieTime < ProtocolConstants.CookieRefreshTime - ProtocolConstants.RekeyTimeout - ProtocolConstants.RekeyTimeoutJitterMax)
                MacCalculator.Mac(message.Slice(off2, MessageLayout.MacSize), Cookie, message[..off2]);
            else
            {
                _hasCookie = false;
                message.Slice(off2, MessageLayout.MacSize).Clear();
            }
        }
    }

    /// <summary>Decrypts a cookie reply addressed to our last handshake message; false if it is not authentic.</summary>
    public bool ConsumeReply(ReadOnlySpan<byte> reply, TimeSpan now)
    {
        if (reply.Length != MessageLayout.CookieReplySize) return false;
        Span<byte> cookie = stackalloc byte[MessageLayout.MacSize];
        lock (_lock)
        {
            if (!_hasLastMac1) return false;
            if (!XChaChaPoly.Open(CookieKey, reply.Slice(MessageLayout.CookieNonce, MessageLayout.CookieNonceSize),
                    reply.Slice(MessageLayout.CookieEncrypted, MessageLayout.CookieEncryptedSize), LastMac1, cookie))
                return false;
            cookie.CopyTo(Cookie);
            _cookieTime = now;
            _hasCookie = true;
            _hasLastMac1 = false; // one reply per message we sent
        }
        CryptographicOperations.ZeroMemory(cookie);
        return true;
    }
}
