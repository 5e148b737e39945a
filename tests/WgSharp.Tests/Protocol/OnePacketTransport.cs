using WgSharp.Protocol;

namespace WgSharp.Tests.Protocol;

/// <summary>Outcome of sealing one outbound packet for a peer (<see cref="OnePacketTransport.Seal"/>).</summary>
internal enum SealStatus
{
    Sealed,
    /// <summary>No usable session: queue the packet and start a handshake.</summary>
    NoSession,
}

/// <summary>
/// One transport message at a time, as boringtun's encapsulate/decapsulate: the protocol layer's own steps
/// composed in the order the device runs them. The device does not use these: it reserves counters for a whole
/// run under its send lock and seals on the crypto pool (SendPath), and it checks on the reader, opens on the
/// pool and accepts the counter in arrival order (ReceivePath), so no single call could serve it. Tests, the
/// fuzz targets and the benchmarks (which link this file) drive the protocol through these two.
/// </summary>
internal static class OnePacketTransport
{
    /// <summary>
    /// Seals an inner IP packet (or an empty keepalive) into a transport message in destination, padding it to
    /// 16 bytes within mtu: one counter reserved, one packet sealed. needsRekey tells the caller to start a
    /// handshake (no session, REKEY_AFTER_MESSAGES reached, or REKEY_AFTER_TIME on a session we initiated).
    /// </summary>
    public static SealStatus Seal<TOwner>(this ProtocolPeer<TOwner> peer, ReadOnlySpan<byte> packet, Span<byte> destination,
        TimeSpan now, int mtu, out int length, out bool needsRekey) where TOwner : class
    {
        length = 0;
        if (!peer.TryReserveSend(1, now, out var reservation, out needsRekey)) return SealStatus.NoSession;
        length = reservation.Seal(0, packet, destination, mtu);
        if (length == 0)
        {
            // The session was wiped while sealing: nothing may leave, a new handshake is due.
            needsRekey = true;
            return SealStatus.NoSession;
        }
        return SealStatus.Sealed;
    }

    /// <summary>
    /// Authenticates and decrypts a transport message into plaintext (which must hold message.Length - 32 bytes)
    /// and records its counter: the checks before the AEAD, the AEAD, then the replay window. Timer bookkeeping
    /// is left to <see cref="ProtocolPeer{TOwner}.OnTransportReceived"/>, as in the device.
    /// </summary>
    public static TransportResult<TOwner> OpenTransport<TOwner>(this ProtocolEngine<TOwner> engine, ReadOnlySpan<byte> message,
        Span<byte> plaintext, TimeSpan now) where TOwner : class
    {
        var lookup = engine.LookupTransport(message, now, out ulong counter);
        if (!lookup.IsOk) return lookup;
        var keypair = lookup.Keypair!;
        if (plaintext.Length < lookup.PlaintextLength) return lookup with { Reason = RejectReason.WrongLength, PlaintextLength = 0 };
        if (!keypair.Open(counter, message[MessageLayout.DataPayload..], plaintext))
            return lookup with { Reason = RejectReason.DecryptFailed, PlaintextLength = 0 };
        if (!keypair.AcceptCounter(counter))
            return lookup with { Reason = RejectReason.ReplayedCounter, PlaintextLength = 0 };
        return lookup;
    }
}
