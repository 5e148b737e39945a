using WgSharp.Protocol.Transport;

namespace WgSharp.Device;

/// <summary>
/// One unit of send work for the crypto pool: a run of one peer's packets in a shared batch (slots
/// [First, First + Count), packet view), numbered by one counter reservation taken in queue order.
/// Sealing turns each slot into its datagram in place; delivery sends them to the peer's endpoint.
/// </summary>
internal sealed class SendElement
{
    public Peer Peer = null!;
    public BatchLease Lease = null!;
    public int First, Count;
    public SendReservation Reservation;
    public bool IsKeepalive;
    public int Mtu;

    /// <summary>Bytes to seal: what the pool weighs to decide between a worker and running inline.</summary>
    public int Cost()
    {
        int bytes = 0;
        var lengths = Lease.Batch.Lengths;
        for (int i = First; i < First + Count; i++) bytes += lengths[i];
        return bytes;
    }

    public void Clear()
    {
        Peer = null!;
        Lease = null!;
        Reservation = default;
    }
}
