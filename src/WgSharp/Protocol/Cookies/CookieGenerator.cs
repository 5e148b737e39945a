using System.Security.Cryptography;
using WgSharp.Crypto;
using WgSharp.Protocol.Noise;

namespace WgSharp.Protocol.Cookies;

/// <summary>
/// The initiator side of the cookie mechanism, one per peer: stamps mac1 (keyed to the peer's
/// public key) and, while we hold a fresh cookie from that peer, mac2 on every handshake
/// message we send; consumes the peer's cookie replies. Thread-safe.
/// </summary>
public sealed class CookieGenerator
{
    private readonly object _lock = new();
    private readonly byte[] _mac1Key = new byte[32];
    private readonly byte[] _cookieKey = new byte[32];
    private readonly byte[] _lastMac1 = new byte[MessageLayout.MacSize];
    private readonly byte[] _cookie = new byte[MessageLayout.MacSize];
    private bool _hasLastMac1;
    private bool _hasCookie;
    private TimeSpan _cookieTime;

    public CookieGenerator(ReadOnlySpan<byte> peerPublicKey)
    {
        NoiseConstants.LabelKey(_mac1Key, NoiseConstants.LabelMac1, peerPublicKey);
        NoiseConstants.LabelKey(_cookieKey, NoiseConstants.LabelCookie, peerPublicKey);
    }

    /// <summary>Writes mac1 and mac2 into the last 32 bytes of an initiation or response we send.</summary>
    public void AddMacs(Span<byte> message, TimeSpan now)
    {
        int off1 = MacCalculator.Mac1Offset(message);
        int off2 = MacCalculator.Mac2Offset(message);
        lock (_lock)
        {
            MacCalculator.Mac(message.Slice(off1, MessageLayout.MacSize), _mac1Key, message[..off1]);
            message.Slice(off1, MessageLayout.MacSize).CopyTo(_lastMac1);
            _hasLastMac1 = true;
            // A cookie is good for two minutes minus a margin, so it is never used just as the responder rotates.
            if (_hasCookie && now - _cookieTime < ProtocolConstants.CookieRefreshTime - ProtocolConstants.RekeyTimeout - ProtocolConstants.RekeyTimeoutJitterMax)
                MacCalculator.Mac(message.Slice(off2, MessageLayout.MacSize), _cookie, message[..off2]);
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
            if (!XChaChaPoly.Open(_cookieKey, reply.Slice(MessageLayout.CookieNonce, MessageLayout.CookieNonceSize),
                    reply.Slice(MessageLayout.CookieEncrypted, MessageLayout.CookieEncryptedSize), _lastMac1, cookie))
                return false;
            cookie.CopyTo(_cookie);
            _cookieTime = now;
            _hasCookie = true;
            _hasLastMac1 = false; // one reply per message we sent
        }
        CryptographicOperations.ZeroMemory(cookie);
        return true;
    }
}
