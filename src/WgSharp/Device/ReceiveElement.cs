using WgSharp.Protocol.Transport;

namespace WgSharp.Device;

/// <summary>
/// One unit of receive work for the crypto pool: one peer's transport datagrams from one receive, each with
/// the keypair and counter the reader looked up. The batch is the element's own (a receive with several
/// peers' datagrams gives the later peers copies), so delivery writes the whole batch to the tunnel.
/// </summary>
internal sealed class ReceiveElement(int capacity)
{
    public Peer Peer = null!;
    /// <summary>The reader that submitted it, when delivery runs inline on readers (no crypto workers); else null.</summary>
    public ReceiveReader? Reader;
    public BatchLease Lease = null!;
    public int Count;
    public readonly int[] Slots = new int[capacity];
    public readonly Keypair?[] Keypairs = new Keypair?[capacity];
    public readonly ulong[] Counters = new ulong[capacity];
    /// <summary>Per datagram: its length; after opening, the plaintext length, or -1 when it did not authenticate.</summary>
    public readonly int[] Lengths = new int[capacity];
    public int Bytes;

    public int Capacity => Slots.Length;

    public void Add(int slot, Keypair keypair, ulong counter, int length)
    {
        Slots[Count] = slot;
        Keypairs[Count] = keypair;
        Counters[Count] = counter;
        Lengths[Count] = length;
        Count++;
        Bytes += length;
    }

    public void Clear()
    {
        Array.Clear(Keypairs, 0, Count); // hold no keys alive
        Count = Bytes = 0;
        Peer = null!;
        Reader = null;
        Lease = null!;
    }
}
