using System.Security.Cryptography;
using WgSharp.Crypto;
using WgSharp.Protocol.Noise;

namespace WgSharp.Protocol.Cookies;

/// <summary>
/// The responder side of the cookie mechanism, one per device: checks mac1 against our public
/// key, checks mac2 against a cookie bound to the sender's address when under load, and builds
/// cookie replies. The cookie secret is rotated every two minutes. Thread-safe.
/// </summary>
internal sealed class CookieChecker
{
    private readonly Lock _lock = new();
    // Pinned, so a compacting GC never leaves a stale copy of the cookie secret behind.
    private readonly byte[] _mac1Key = GC.AllocateArray<byte>(32, pinned: true);
    private readonly byte[] _cookieKey = GC.AllocateArray<byte>(32, pinned: true);
    private readonly byte[] _secret = GC.AllocateArray<byte>(32, pinned: true);
    private TimeSpan _secretBirth;
    private bool _hasSecret;
    private bool _hasKey;

    /// <summary>Sets (or clears) our public key; mac1 and cookie keys derive from it.</summary>
    public void SetPublicKey(ReadOnlySpan<byte> publicKey)
    {
        lock (_lock)
        {
            if (publicKey.IsEmpty)
            {
                CryptographicOperations.ZeroMemory(_mac1Key);
                CryptographicOperations.ZeroMemory(_cookieKey);
                _hasKey = false;
                return;
            }
            NoiseConstants.LabelKey(_mac1Key, NoiseConstants.LabelMac1, publicKey);
            NoiseConstants.LabelKey(_cookieKey, NoiseConstants.LabelCookie, publicKey);
            _hasKey = true;
        }
    }

    /// <summary>Checks mac1 of an initiation or response in constant time. The length must already be checked.</summary>
    public bool CheckMac1(ReadOnlySpan<byte> message)
    {
        Span<byte> mac = stackalloc byte[MessageLayout.MacSize];
        int off = MacCalculator.Mac1Offset(message);
        lock (_lock)
        {
            if (!_hasKey) return false;
            MacCalculator.Mac(mac, _mac1Key, message[..off]);
        }
        return CryptographicOperations.FixedTimeEquals(mac, message.Slice(off, MessageLayout.MacSize));
    }

    /// <summary>Checks mac2 against the cookie the sender at sourceAddress should hold right now.</summary>
    public bool CheckMac2(ReadOnlySpan<byte> message, ReadOnlySpan<byte> sourceAddress, TimeSpan now)
    {
        Span<byte> cookie = stackalloc byte[MessageLayout.MacSize];
        Span<byte> mac = stackalloc byte[MessageLayout.MacSize];
        MakeCookie(cookie, sourceAddress, now);
        int off = MacCalculator.Mac2Offset(message);
        MacCalculator.Mac(mac, cookie, message[..off]);
        return CryptographicOperations.FixedTimeEquals(mac, message.Slice(off, MessageLayout.MacSize));
    }

    /// <summary>
    /// Builds the 64-byte cookie reply to a handshake message whose mac1 was valid. The cookie is
    /// encrypted with XChaCha20-Poly1305 under Hash("cookie--" || our public key) with mac1 as
    /// associated data, so only the sender of that exact message can use it.
    /// </summary>
    public bool CreateReply(ReadOnlySpan<byte> message, uint senderIndex, ReadOnlySpan<byte> sourceAddress,
        TimeSpan now, Span<byte> reply)
    {
        if (reply.Length < MessageLayout.CookieReplySize) return false;
        Span<byte> cookie = stackalloc byte[MessageLayout.MacSize];
        MakeCookie(cookie, sourceAddress, now);
        MessageLayout.WriteHeader(reply, MessageType.CookieReply);
        MessageLayout.WriteUInt32(reply, MessageLayout.CookieReceiver, senderIndex);
        var nonce = reply.Slice(MessageLayout.CookieNonce, MessageLayout.CookieNonceSize);
        SecureRandom.Fill(nonce);
        int off = MacCalculator.Mac1Offset(message);
        lock (_lock)
        {
            if (!_hasKey) return false;
            XChaChaPoly.Seal(_cookieKey, nonce, cookie, message.Slice(off, MessageLayout.MacSize),
                reply.Slice(MessageLayout.CookieEncrypted, MessageLayout.CookieEncryptedSize));
        }
        return true;
    }

    private void MakeCookie(Span<byte> cookie, ReadOnlySpan<byte> sourceAddress, TimeSpan now)
    {
        lock (_lock)
        {
            if (!_hasSecret || now - _secretBirth >= ProtocolConstants.CookieRefreshTime || now < _secretBirth)
            {
                SecureRandom.Fill(_secret);
                _secretBirth = now;
                _hasSecret = true;
            }
            MacCalculator.Mac(cookie, _secret, sourceAddress);
        }
    }
}
