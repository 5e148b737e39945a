using System.Collections.Concurrent;
using WgSharp.Crypto;
using WgSharp.Protocol.Noise;

namespace WgSharp.Protocol.Transport;

/// <summary>
/// Maps our random 32-bit session indices (the "receiver index" in incoming messages) to the
/// peer and to either its pending handshake or a keypair. Random, so indices reveal nothing.
/// </summary>
internal sealed class IndexTable<TPeer> where TPeer : class
{
    public readonly record struct Entry(TPeer Peer, Handshake? Handshake, Keypair? Keypair);

    private readonly ConcurrentDictionary<uint, Entry> _entries = new();

    public int Count => _entries.Count;

    /// <summary>Allocates an unused non-zero index for a handshake.</summary>
    public uint NewIndexForHandshake(TPeer peer, Handshake handshake)
    {
        Span<byte> r = stackalloc byte[4];
        while (true)
        {
            SecureRandom.Fill(r);
            uint index = BitConverter.ToUInt32(r);
            if (index != 0 && _entries.TryAdd(index, new Entry(peer, handshake, null))) return index;
        }
    }

    /// <summary>Points an index (allocated for a handshake) at the keypair it produced.</summary>
    public void SwapToKeypair(uint index, TPeer peer, Keypair keypair) => _entries[index] = new Entry(peer, null, keypair);

    public void Remove(uint index)
    {
        if (index != 0) _entries.TryRemove(index, out _);
    }

    public bool TryLookup(uint index, out Entry entry) => _entries.TryGetValue(index, out entry);
}
