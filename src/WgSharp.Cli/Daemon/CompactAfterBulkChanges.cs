using WgSharp.Configuration;
using WgSharp.Device;

namespace WgSharp.Cli.Daemon;

/// <summary>
/// The daemon's memory policy, kept out of the library (a host decides about its own GC): a bulk change (a
/// setconf of thousands of peers) leaves the parsed request and the replaced objects behind as garbage, often
/// more than the configuration itself. Half a second later, when the UAPI has let go of the request, one
/// compacting collection hands that memory back to the system. Keys are not scattered by it: they live in
/// pinned buffers, and the UAPI overwrites the copies a request carried once it is applied.
/// </summary>
internal sealed class CompactAfterBulkChanges(WireGuardDevice device) : IDeviceControl
{
    /// <summary>Peers added, changed or removed in one update from which the heap is compacted afterwards.</summary>
    private const int BulkChangePeers = 1024;
    /// <summary>The same for allowed IPs: 16,384 in one update (one peer can carry a hundred thousand).</summary>
    private const int BulkChangeAllowedIps = 16384;
    private int _compactionPending;

    public string InterfaceName => device.InterfaceName;

    public DeviceStatus GetStatus() => device.GetStatus();

    public ConfigResult Apply(DeviceUpdate update)
    {
        bool bulk = update.Peers.Count >= BulkChangePeers ||
            ((update.ReplacePeers || update.RemoveAllPeers) && device.Engine.PeerCount >= BulkChangePeers) ||
            update.Peers.Sum(p => (long)p.AddAllowedIps.Count + p.RemoveAllowedIps.Count) >= BulkChangeAllowedIps;
        var result = device.Apply(update);
        if (bulk) ScheduleCompaction();
        return result;
    }

    private void ScheduleCompaction()
    {
        if (Interlocked.Exchange(ref _compactionPending, 1) != 0) return;
        Task.Delay(TimeSpan.FromMilliseconds(500)).ContinueWith(_ =>
        {
            Volatile.Write(ref _compactionPending, 0);
            GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);
        }, TaskScheduler.Default);
    }
}
