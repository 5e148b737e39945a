using System.Globalization;
using WgSharp.Configuration;

namespace WgSharp.Cli.Wg;

/// <summary>
/// `wg showconf`: the running configuration as a file `setconf` accepts, in wg's exact layout.
/// It prints private and preshared keys, because restoring needs them: from their bytes into a
/// <see cref="KeyTextOutput"/>, never via a string.
/// </summary>
internal static class WgConfFormatter
{
    public static void Format(DeviceStatus device, KeyTextOutput o)
    {
        o.Write("[Interface]\n");
        if (device.ListenPort != 0) o.Write("ListenPort = ").Write(device.ListenPort.ToString(CultureInfo.InvariantCulture)).Write('\n');
        if (device.FwMark != 0) o.Write("FwMark = 0x").Write(device.FwMark.ToString("x", CultureInfo.InvariantCulture)).Write('\n');
        if (device.PrivateKey is { } privateKey) o.Write("PrivateKey = ").WriteKey(privateKey).Write('\n');
        o.Write('\n');
        for (int i = 0; i < device.Peers.Count; i++)
        {
            var peer = device.Peers[i];
            o.Write("[Peer]\nPublicKey = ").WriteKey(peer.PublicKey).Write('\n');
            if (peer.PresharedKey is { } psk) o.Write("PresharedKey = ").WriteKey(psk).Write('\n');
            if (peer.AllowedIps.Count > 0)
            {
                o.Write("AllowedIPs = ")
                 .Write(string.Join(", ", peer.AllowedIps.Select(p => InetText.FormatAddress(p.Address) + "/" + p.Bits.ToString(CultureInfo.InvariantCulture))))
                 .Write('\n');
            }
            if (peer.Endpoint is { } endpoint) o.Write("Endpoint = ").Write(InetText.FormatEndpoint(endpoint)).Write('\n');
            if (peer.PersistentKeepalive != 0)
                o.Write("PersistentKeepalive = ").Write(peer.PersistentKeepalive.ToString(CultureInfo.InvariantCulture)).Write('\n');
            if (i + 1 < device.Peers.Count) o.Write('\n');
        }
    }
}
