using WgSharp.Device.IO;

namespace WgSharp.Netstack;

/// <summary>
/// Anything attached to the stack that sends packets or keeps timers (a TCP connection, a UDP socket, a ping).
/// Output is pulled: a socket that has something to send calls <see cref="INetstackHost.RequestOutput"/>, and the
/// tunnel's reader thread then calls <see cref="Produce"/> until it returns 0, writing each packet straight into
/// the device's batch (no copy, and back-pressure for free: nothing is built until the device can take it).
/// </summary>
internal abstract class StackSocket
{
    // Owned by the stack core (Netstack): 1 while the socket sits in the output queue.
    internal int OutputQueued;

    // Owned by the stack core: the deadline of this socket's live entry in the timer heap, 0 when none.
    internal long ScheduledDeadline;

    // Owned by the stack core: what this socket deferred to the end of the current input burst (Netstack.InputBurst).
    internal int BurstDeferred;

    /// <summary>
    /// On the tunnel reader thread: writes one complete IP packet (header included) into <paramref name="packet"/>,
    /// whose length is the MTU, and returns its length; 0 when there is nothing (more) to send now. Never throws
    /// for a peer's doing.
    /// </summary>
    public abstract int Produce(Span<byte> packet, long nowMs);

    /// <summary>
    /// On the tunnel reader thread: <see cref="Produce"/> into the slots of <paramref name="batch"/> from <paramref name="first"/>
    /// on (each at most <paramref name="mtu"/> bytes, lengths set) until the socket has nothing more or the batch is full;
    /// returns how many. A socket overrides it to do the whole run under one lock.
    /// </summary>
    public virtual int ProduceMany(PacketBatch batch, int first, int mtu, long nowMs)
    {
        int count = first;
        while (count < batch.Capacity)
        {
            int length = Produce(batch.PacketSpace(count)[..mtu], nowMs);
            if (length <= 0) break;
            batch.Lengths[count++] = length;
        }
        return count - first;
    }

    /// <summary>On the stack's timer thread, at or after a deadline the socket scheduled; it schedules the next itself.</summary>
    public virtual void OnTimer(long nowMs) { }

    /// <summary>
    /// The input burst in which the socket asked <see cref="INetstackHost.DeferWake"/> is over: wake its users now.
    /// On the thread that delivered the burst, with no lock of the stack held.
    /// </summary>
    public virtual void OnBurstEnd() { }
}
