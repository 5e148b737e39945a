namespace WgSharp.Protocol.Transport;

/// <summary>
/// A run of consecutive send counters taken from one keypair (<see cref="ProtocolPeer{TOwner}.TryReserveSend"/>),
/// so packets can be numbered in the order they must leave and sealed later on any thread, in any order.
/// A reservation stays valid across a rekey: the keypair it names is still one the peer accepts (current
/// or previous) until it is wiped, and a wiped keypair seals nothing (<see cref="Seal"/> returns 0).
/// </summary>
internal readonly struct SendReservation
{
    internal SendReservation(Keypair keypair, ulong firstCounter, int count)
    {
        Keypair = keypair;
        FirstCounter = firstCounter;
        Count = count;
    }

    public Keypair? Keypair { get; }
    public ulong FirstCounter { get; }
    public int Count { get; }

    /// <summary>
    /// Seals packet number index of the run (0-based) into destination as a transport message, padded to
    /// 16 bytes within mtu, and returns its length. packet may already sit at destination[16..] (sealing
    /// in place). Returns 0 when the keypair was wiped while sealing: then nothing of the message may leave.
    /// Thread-safe; each index must be sealed at most once.
    /// </summary>
    public int Seal(int index, ReadOnlySpan<byte> packet, Span<byte> destination, int mtu)
    {
        var keypair = Keypair ?? throw new InvalidOperationException("empty reservation");
        if ((uint)index >= (uint)Count) throw new ArgumentOutOfRangeException(nameof(index));
        ulong counter = FirstCounter + (ulong)index;
        int padded = MessageLayout.PaddedLength(packet.Length, mtu);
        int length = MessageLayout.TransportMessageSize(padded);
        if (destination.Length < length) throw new ArgumentException("destination too small for transport message");
        // Plaintext is built in place: copy (a no-op when it is already there), zero the padding, and only
        // then write the header, which may overlap nothing of the packet.
        var payload = destination.Slice(MessageLayout.DataPayload, padded);
        packet.CopyTo(payload);
        payload[packet.Length..].Clear();
        MessageLayout.WriteHeader(destination, MessageType.TransportData);
        MessageLayout.WriteUInt32(destination, MessageLayout.DataReceiver, keypair.RemoteIndex);
        System.Buffers.Binary.BinaryPrimitives.WriteUInt64LittleEndian(destination[MessageLayout.DataCounter..], counter);
        keypair.Seal(counter, payload, destination.Slice(MessageLayout.DataPayload, padded + MessageLayout.TagSize));
        if (keypair.IsZeroed)
        {
            // The session was wiped while we sealed: the keys may have been zeroes, so nothing of this may leave.
            destination[..length].Clear();
            return 0;
        }
        return length;
    }
}
