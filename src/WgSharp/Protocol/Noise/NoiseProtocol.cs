using System.Security.Cryptography;
using WgSharp.Crypto;
using WgSharp.Keys;

namespace WgSharp.Protocol.Noise;

/// <summary>
/// The four steps of WireGuard's Noise_IKpsk2 handshake (whitepaper 5.4.2-5.4.3) and the
/// derivation of transport keys (5.4.5), as pure functions over a <see cref="Handshake"/>.
/// mac1/mac2 are not handled here: they wrap these messages (see Cookies/). Every function
/// works on scratch copies and commits to the handshake only on success, so a forged or
/// corrupted message leaves the state untouched.
/// </summary>
internal static class NoiseProtocol
{
    private const int KeyLen = 32;

    /// <summary>
    /// Writes an initiation (without macs) into message[0..148]. The caller holds the handshake's lock.
    /// ephemeralPrivate is for known-answer tests only; normally a fresh one is generated.
    /// </summary>
    public static bool CreateInitiation(LocalIdentity identity, Handshake hs, uint localIndex,
        ReadOnlySpan<byte> timestamp, Span<byte> message, ReadOnlySpan<byte> ephemeralPrivate = default)
    {
        using var held = identity.Hold(); // a key change meanwhile does not zero what this step computes with
        if (held.Keys is not { } local) return false;
        if (!hs.StaticStaticValid || message.Length < MessageLayout.InitiationSize) return false;

        Span<byte> hash = stackalloc byte[KeyLen];
        Span<byte> ck = stackalloc byte[KeyLen];
        Span<byte> key = stackalloc byte[KeyLen];
        Span<byte> dh = stackalloc byte[KeyLen];
        Span<byte> ePriv = stackalloc byte[KeyLen];
        try
        {
            NoiseConstants.InitialChainKey.CopyTo(ck);
            Blake2s.HashConcat(hash, NoiseConstants.InitialHash, hs.RemoteStatic.AsSpan());

            if (ephemeralPrivate.IsEmpty) X25519.GeneratePrivateKey(ePriv);
            else { ephemeralPrivate.CopyTo(ePriv); X25519.Clamp(ePriv); }
            var ePub = message.Slice(MessageLayout.InitEphemeral, KeyLen);
            X25519.DerivePublicKey(ePriv, ePub);

            MessageLayout.WriteHeader(message, MessageType.HandshakeInitiation);
            MessageLayout.WriteUInt32(message, MessageLayout.InitSender, localIndex);

            MixKey(ck, ePub);
            MixHash(hash, ePub);

            if (!X25519.SharedSecret(ePriv, hs.RemoteStatic.AsSpan(), dh)) return false;
            NoiseKdf.Derive(ck, dh, ck, key);
            var encStatic = message.Slice(MessageLayout.InitStatic, MessageLayout.InitStaticSize);
            ChaChaPoly.Seal(key, 0, local.PublicKey.AsSpan(), hash, encStatic);
            MixHash(hash, encStatic);

            NoiseKdf.Derive(ck, hs.PrecomputedStaticStatic, ck, key);
            var encTimestamp = message.Slice(MessageLayout.InitTimestamp, MessageLayout.InitTimestampSize);
            ChaChaPoly.Seal(key, 0, timestamp[..Tai64N.Size], hash, encTimestamp);
            MixHash(hash, encTimestamp);

            hash.CopyTo(hs.Hash);
            ck.CopyTo(hs.ChainKey);
            ePriv.CopyTo(hs.LocalEphemeral);
            hs.LocalIndex = localIndex;
            hs.RemoteIndex = 0;
            hs.State = HandshakeState.InitiationCreated;
            return true;
        }
        finally
        {
            CryptographicOperations.ZeroMemory(key);
            CryptographicOperations.ZeroMemory(dh);
            CryptographicOperations.ZeroMemory(ePriv);
            CryptographicOperations.ZeroMemory(ck);
        }
    }

    /// <summary>
    /// Consumes an initiation whose length and mac1 the caller has checked. Finds the peer by
    /// the decrypted static key, refuses replayed or too-frequent initiations, and on success
    /// leaves hs in InitiationConsumed.
    /// </summary>
    public static RejectReason ConsumeInitiation(LocalIdentity identity, ReadOnlySpan<byte> message,
        Func<Key, Handshake?> findPeer, TimeSpan now, out Handshake? handshake)
    {
        handshake = null;
        using var held = identity.Hold(); // a key change meanwhile does not zero what this step computes with
        if (held.Keys is not { } local) return RejectReason.NoPrivateKey;
        if (message.Length != MessageLayout.InitiationSize) return RejectReason.WrongLength;

        Span<byte> hash = stackalloc byte[KeyLen];
        Span<byte> ck = stackalloc byte[KeyLen];
        Span<byte> key = stackalloc byte[KeyLen];
        Span<byte> dh = stackalloc byte[KeyLen];
        Span<byte> peerStatic = stackalloc byte[KeyLen];
        Span<byte> timestamp = stackalloc byte[Tai64N.Size];
        try
        {
            NoiseConstants.InitialChainKey.CopyTo(ck);
            Blake2s.HashConcat(hash, NoiseConstants.InitialHash, local.PublicKey.AsSpan());

            var ePub = message.Slice(MessageLayout.InitEphemeral, KeyLen);
            MixKey(ck, ePub);
            MixHash(hash, ePub);

            if (!X25519.SharedSecret(local.PrivateKey, ePub, dh)) return RejectReason.BadPublicKey;
            NoiseKdf.Derive(ck, dh, ck, key);
            var encStatic = message.Slice(MessageLayout.InitStatic, MessageLayout.InitStaticSize);
            if (!ChaChaPoly.Open(key, 0, encStatic, hash, peerStatic)) return RejectReason.DecryptFailed;
            MixHash(hash, encStatic);

            var hs = findPeer(new Key(peerStatic));
            if (hs is null) return RejectReason.UnknownPeer;

            using (hs.Enter())
            {
                if (!hs.StaticStaticValid) return RejectReason.BadPublicKey;
                NoiseKdf.Derive(ck, hs.PrecomputedStaticStatic, ck, key);
                var encTimestamp = message.Slice(MessageLayout.InitTimestamp, MessageLayout.InitTimestampSize);
                if (!ChaChaPoly.Open(key, 0, encTimestamp, hash, timestamp)) return RejectReason.DecryptFailed;
                MixHash(hash, encTimestamp);

                if (!Tai64N.IsAfter(timestamp, hs.GreatestTimestamp)) return RejectReason.ReplayedTimestamp;
                if (hs.LastInitiationConsumption is { } last && now - last < ProtocolConstants.HandshakeInitiationRate)
                    return RejectReason.FloodedInitiation;

                timestamp.CopyTo(hs.GreatestTimestamp);
                hash.CopyTo(hs.Hash);
                ck.CopyTo(hs.ChainKey);
                ePub.CopyTo(hs.RemoteEphemeral);
                hs.RemoteIndex = MessageLayout.ReadUInt32(message, MessageLayout.InitSender);
                hs.LastInitiationConsumption = now;
                hs.State = HandshakeState.InitiationConsumed;
            }
            handshake = hs;
            return RejectReason.None;
        }
        finally
        {
            CryptographicOperations.ZeroMemory(key);
            CryptographicOperations.ZeroMemory(dh);
            CryptographicOperations.ZeroMemory(ck);
        }
    }

    /// <summary>Writes a response (without macs) to the initiation held in hs. The caller holds the handshake's lock.</summary>
    public static bool CreateResponse(Handshake hs, uint localIndex, Span<byte> message,
        ReadOnlySpan<byte> ephemeralPrivate = default)
    {
        if (hs.State != HandshakeState.InitiationConsumed || message.Length < MessageLayout.ResponseSize) return false;

        Span<byte> hash = stackalloc byte[KeyLen];
        Span<byte> ck = stackalloc byte[KeyLen];
        Span<byte> key = stackalloc byte[KeyLen];
        Span<byte> tau = stackalloc byte[KeyLen];
        Span<byte> dh = stackalloc byte[KeyLen];
        Span<byte> ePriv = stackalloc byte[KeyLen];
        try
        {
            hs.Hash.CopyTo(hash);
            hs.ChainKey.CopyTo(ck);

            MessageLayout.WriteHeader(message, MessageType.HandshakeResponse);
            MessageLayout.WriteUInt32(message, MessageLayout.RespSender, localIndex);
            MessageLayout.WriteUInt32(message, MessageLayout.RespReceiver, hs.RemoteIndex);

            if (ephemeralPrivate.IsEmpty) X25519.GeneratePrivateKey(ePriv);
            else { ephemeralPrivate.CopyTo(ePriv); X25519.Clamp(ePriv); }
            var ePub = message.Slice(MessageLayout.RespEphemeral, KeyLen);
            X25519.DerivePublicKey(ePriv, ePub);
            MixKey(ck, ePub);
            MixHash(hash, ePub);

            if (!X25519.SharedSecret(ePriv, hs.RemoteEphemeral, dh)) return false;
            MixKey(ck, dh);
            if (!X25519.SharedSecret(ePriv, hs.RemoteStatic.AsSpan(), dh)) return false;
            MixKey(ck, dh);

            NoiseKdf.Derive(ck, hs.PresharedKey, ck, tau, key);
            MixHash(hash, tau);

            var empty = message.Slice(MessageLayout.RespEmpty, MessageLayout.TagSize);
            ChaChaPoly.Seal(key, 0, ReadOnlySpan<byte>.Empty, hash, empty);
            MixHash(hash, empty);

            hash.CopyTo(hs.Hash);
            ck.CopyTo(hs.ChainKey);
            ePriv.CopyTo(hs.LocalEphemeral);
            hs.LocalIndex = localIndex;
            hs.State = HandshakeState.ResponseCreated;
            return true;
        }
        finally
        {
            CryptographicOperations.ZeroMemory(key);
            CryptographicOperations.ZeroMemory(tau);
            CryptographicOperations.ZeroMemory(dh);
            CryptographicOperations.ZeroMemory(ePriv);
            CryptographicOperations.ZeroMemory(ck);
        }
    }

    /// <summary>
    /// Consumes a response whose length and mac1 the caller has checked, for the handshake
    /// that the receiver index names. On success hs is in ResponseConsumed.
    /// </summary>
    public static RejectReason ConsumeResponse(LocalIdentity identity, ReadOnlySpan<byte> message,
        Func<uint, Handshake?> findByLocalIndex, out Handshake? handshake)
    {
        handshake = null;
        using var held = identity.Hold(); // a key change meanwhile does not zero what this step computes with
        if (held.Keys is not { } local) return RejectReason.NoPrivateKey;
        if (message.Length != MessageLayout.ResponseSize) return RejectReason.WrongLength;
        var hs = findByLocalIndex(MessageLayout.ReadUInt32(message, MessageLayout.RespReceiver));
        if (hs is null) return RejectReason.UnknownReceiverIndex;

        Span<byte> hash = stackalloc byte[KeyLen];
        Span<byte> ck = stackalloc byte[KeyLen];
        Span<byte> key = stackalloc byte[KeyLen];
        Span<byte> tau = stackalloc byte[KeyLen];
        Span<byte> dh = stackalloc byte[KeyLen];
        using (hs.Enter())
        {
            try
            {
                if (hs.State != HandshakeState.InitiationCreated) return RejectReason.WrongHandshakeState;
                hs.Hash.CopyTo(hash);
                hs.ChainKey.CopyTo(ck);

                var ePub = message.Slice(MessageLayout.RespEphemeral, KeyLen);
                MixKey(ck, ePub);
                MixHash(hash, ePub);

                if (!X25519.SharedSecret(hs.LocalEphemeral, ePub, dh)) return RejectReason.BadPublicKey;
                MixKey(ck, dh);
                if (!X25519.SharedSecret(local.PrivateKey, ePub, dh)) return RejectReason.BadPublicKey;
                MixKey(ck, dh);

                NoiseKdf.Derive(ck, hs.PresharedKey, ck, tau, key);
                MixHash(hash, tau);

                var empty = message.Slice(MessageLayout.RespEmpty, MessageLayout.TagSize);
                if (!ChaChaPoly.Open(key, 0, empty, hash, Span<byte>.Empty)) return RejectReason.DecryptFailed;
                MixHash(hash, empty);

                hash.CopyTo(hs.Hash);
                ck.CopyTo(hs.ChainKey);
                ePub.CopyTo(hs.RemoteEphemeral);
                hs.RemoteIndex = MessageLayout.ReadUInt32(message, MessageLayout.RespSender);
                hs.State = HandshakeState.ResponseConsumed;
                handshake = hs;
                return RejectReason.None;
            }
            finally
            {
                CryptographicOperations.ZeroMemory(key);
                CryptographicOperations.ZeroMemory(tau);
                CryptographicOperations.ZeroMemory(dh);
                CryptographicOperations.ZeroMemory(ck);
            }
        }
    }

    /// <summary>
    /// Splits the chaining key into the two transport keys once a handshake has completed on
    /// our side, then wipes the handshake. The caller holds the handshake's lock.
    /// </summary>
    public static bool DeriveTransportKeys(Handshake hs, Span<byte> sendKey, Span<byte> receiveKey, out bool isInitiator)
    {
        isInitiator = hs.State == HandshakeState.ResponseConsumed;
        if (hs.State is not (HandshakeState.ResponseConsumed or HandshakeState.ResponseCreated)) return false;
        if (isInitiator) NoiseKdf.Derive(hs.ChainKey, ReadOnlySpan<byte>.Empty, sendKey, receiveKey);
        else NoiseKdf.Derive(hs.ChainKey, ReadOnlySpan<byte>.Empty, receiveKey, sendKey);
        CryptographicOperations.ZeroMemory(hs.Hash);
        CryptographicOperations.ZeroMemory(hs.ChainKey);
        CryptographicOperations.ZeroMemory(hs.LocalEphemeral);
        CryptographicOperations.ZeroMemory(hs.RemoteEphemeral);
        hs.State = HandshakeState.Zeroed;
        return true;
    }

    /// <summary>ck = KDF1(ck, input).</summary>
    private static void MixKey(Span<byte> ck, ReadOnlySpan<byte> input) => NoiseKdf.Derive(ck, input, ck);

    /// <summary>h = Hash(h || data).</summary>
    private static void MixHash(Span<byte> hash, ReadOnlySpan<byte> data) => Blake2s.HashConcat(hash, hash, data);
}
