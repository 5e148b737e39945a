using System.Net;
using WgSharp.Configuration;
using WgSharp.Keys;

namespace WgSharp.Cli.Wg;

/// <summary>A peer while its arguments or [Peer] section are being read (the public key may come last).</summary>
internal sealed class PeerDraft
{
    public Key? PublicKey { get; set; }
    public bool Remove { get; set; }
    public Key? PresharedKey { get; set; }
    public IPEndPoint? Endpoint { get; set; }
    /// <summary>The host name of <see cref="Endpoint"/> (wgsharp daemons follow it; see WgDevices.Set).</summary>
    public EndpointName? EndpointName { get; set; }
    public ushort? PersistentKeepalive { get; set; }
    public bool ReplaceAllowedIps { get; set; }
    public List<IpPrefix> AllowedIps { get; } = [];

    public PeerUpdate ToUpdate()
    {
        var update = new PeerUpdate(PublicKey ?? throw new InvalidOperationException("peer without a public key"))
        {
            Remove = Remove,
            PresharedKey = PresharedKey,
            Endpoint = Endpoint,
            EndpointName = EndpointName,
            PersistentKeepalive = PersistentKeepalive,
            ReplaceAllowedIps = ReplaceAllowedIps,
        };
        update.AddAllowedIps.AddRange(AllowedIps);
        return update;
    }
}
