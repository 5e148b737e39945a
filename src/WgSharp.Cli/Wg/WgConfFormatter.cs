using System.Globalization;
using System.Text;
using WgSharp.Configuration;

namespace WgSharp.Cli.Wg;

/// <summary>
/// `wg showconf`: the running configuration as a file `setconf` accepts, in wg's exact layout.
/// This is the one output that prints private and preshared keys, because restoring needs them.
/// </summary>
internal static class WgConfFormatter
{
    public static string Format(DeviceStatus device)
    {
        var sb = new StringBuilder(256 + device.Peers.Count * 200);
        sb.Append("[Interface]\n");
        if (device.ListenPort != 0) sb.Append("ListenPort = ").Append(device.ListenPort.ToString(CultureInfo.InvariantCulture)).Append('\n');
        if (device.FwMark != 0) sb.Append("FwMark = 0x").Append(device.FwMark.ToString("x", CultureInfo.InvariantCulture)).Append('\n');
        if (device.PrivateKey is { } privateKey) sb.Append("PrivateKey = ").Append(privateKey.ToBase64()).Append('\n');
        sb.Append('\n');
        for (int i = 0; i < device.Peers.Count; i++)
        {
            var peer = device.Peers[i];
            sb.Append("[Peer]\nPublicKey = ").Append(peer.PublicKey.ToBase64()).Append('\n');
            if (peer.PresharedKey is { } psk) sb.Append("PresharedKey = ").Append(psk.ToBase64()).Append('\n');
            if (peer.AllowedIps.Count > 0)
            {
                sb.Append("AllowedIPs = ")
                  .AppendJoin(", ", peer.AllowedIps.Select(p => InetText.FormatAddress(p.Address) + "/" + p.Bits.ToString(CultureInfo.InvariantCulture)))
                  .Append('\n');
            }
            if (peer.Endpoint is { } endpoint) sb.Append("Endpoint = ").Append(InetText.FormatEndpoint(endpoint)).Append('\n');
            if (peer.PersistentKeepalive != 0)
                sb.Append("PersistentKeepalive = ").Append(peer.PersistentKeepalive.ToString(CultureInfo.InvariantCulture)).Append('\n');
            if (i + 1 < device.Peers.Count) sb.Append('\n');
        }
        return sb.ToString();
    }
}
