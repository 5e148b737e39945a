using WgSharp.Configuration;
using WgSharp.Keys;

namespace WgSharp.Cli.Wg;

/// <summary>
/// `wg syncconf`: turns a setconf-style update into one that leaves peers present in both the
/// file and the device in place (their sessions survive) instead of replacing the whole peer
/// list: peers only the device has are removed, the file's peers are updated in place (each
/// still replaces its allowed IPs), and device values are set as setconf would set them.
/// </summary>
internal static class SyncConfPlanner
{
    public static DeviceUpdate Plan(DeviceUpdate fromFile, DeviceStatus running)
    {
        // Nothing to keep when either side has no peers: replacing the list is the same thing.
        if (fromFile.Peers.Count == 0 || running.Peers.Count == 0) return fromFile;

        var inFile = fromFile.Peers.Select(p => p.PublicKey).ToHashSet();
        var plan = new DeviceUpdate
        {
            PrivateKey = fromFile.PrivateKey,
            ListenPort = fromFile.ListenPort,
            FwMark = fromFile.FwMark,
            ReplacePeers = false,
        };
        // Removals go first, as wg sends them, so a prefix moving to another peer is never contested.
        var removed = new HashSet<Key>();
        foreach (var peer in running.Peers)
            if (!inFile.Contains(peer.PublicKey) && removed.Add(peer.PublicKey))
                plan.Peers.Add(new PeerUpdate(peer.PublicKey) { Remove = true });
        plan.Peers.AddRange(fromFile.Peers);
        return plan;
    }
}
