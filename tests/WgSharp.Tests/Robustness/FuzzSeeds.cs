using System.Text;
using WgSharp.Keys;
using WgSharp.Protocol;

namespace WgSharp.Tests.Robustness;

/// <summary>Valid-looking starting inputs for each fuzz target (fuzz/corpus is generated from these).</summary>
public static class FuzzSeeds
{
    public static IEnumerable<(string Target, string Name, byte[] Bytes)> All()
    {
        var initiator = new ProtocolEngine<object>();
        initiator.SetPrivateKey(KeyGenerator.ClampPrivateKey(new Key(Enumerable.Repeat((byte)0x22, 32).ToArray())));
        var responderPublic = KeyGenerator.DerivePublicKey(KeyGenerator.ClampPrivateKey(new Key(Enumerable.Repeat((byte)0x11, 32).ToArray())));
        var peer = initiator.AddPeer(responderPublic, _ => new object())!;
        var initiation = new byte[MessageLayout.InitiationSize];
        peer.TryCreateInitiation(initiator, TimeSpan.FromHours(1), DateTimeOffset.UnixEpoch.AddYears(55), false, initiation);
        var response = new byte[MessageLayout.ResponseSize];
        response[0] = (byte)MessageType.HandshakeResponse;
        var cookie = new byte[MessageLayout.CookieReplySize];
        cookie[0] = (byte)MessageType.CookieReply;
        var transport = new byte[MessageLayout.MinTransportSize + 16];
        transport[0] = (byte)MessageType.TransportData;

        yield return ("handshake", "initiation-valid", [0, .. initiation]);
        yield return ("handshake", "initiation-underload", [2, .. initiation]);
        yield return ("handshake", "initiation-macfix", [1, .. initiation]);
        yield return ("handshake", "response-inflight", [1 | 8, .. response]);
        yield return ("handshake", "cookie-inflight", [8, .. cookie]);
        yield return ("handshake", "transport-session", [4, .. transport]);
        yield return ("handshake", "keepalive-session", [4, .. transport[..MessageLayout.MinTransportSize]]);

        string pub = Convert.ToHexStringLower(responderPublic.AsSpan());
        yield return ("uapi", "full", Encoding.UTF8.GetBytes(
            $"private_key={new string('a', 64)}\nlisten_port=51820\nfwmark=0x10\nreplace_peers=true\npublic_key={pub}\n" +
            $"preshared_key={new string('b', 64)}\nendpoint=[2001:db8::1%eth0]:51820\npersistent_keepalive_interval=25\n" +
            "replace_allowed_ips=true\nallowed_ip=10.0.0.0/8\nallowed_ip=fd00::/64\nprotocol_version=1\n\n"));
        yield return ("uapi", "remove", Encoding.UTF8.GetBytes($"public_key={pub}\nupdate_only=true\nremove=true\n\n"));
        yield return ("uapi", "endpoint4", Encoding.UTF8.GetBytes($"public_key={pub}\nendpoint=192.0.2.1:1\nallowed_ip=0.0.0.0/0\n"));

        string key = responderPublic.ToBase64();
        yield return ("ifconfig", "create", Encoding.UTF8.GetBytes("wg0\ncreate\nwgport\n7111\nwgkey\n" + key + "\nwgrtable\n1\nup"));
        yield return ("ifconfig", "peer", Encoding.UTF8.GetBytes($"wg1\nwgpeer\n{key}\nwgendpoint\n192.0.2.1\n51820\nwgaip\n10.0.0.0/8\nwgaip\nfd00::/64\nwgpka\n25\nwgdescr\nhello\nwgpsk\n{key}"));
        yield return ("ifconfig", "remove", Encoding.UTF8.GetBytes($"wg2\n-wgpeer\n{key}\n-wgpeerall\ninet\n10.0.0.1/24\ninet6\nfd00::1\nprefixlen\n64\nmtu\n1420\ndestroy"));

        foreach (var (name, bytes) in FuzzNetstack.Seeds()) yield return ("netstack", name, bytes);
        foreach (var seed in FuzzProxy.Seeds()) yield return seed;
        foreach (var seed in FuzzParsersControl.Seeds(key)) yield return seed;
        foreach (var seed in FuzzParsersConfig.Seeds(key)) yield return seed;
        foreach (var seed in FuzzParsersPackets.Seeds()) yield return seed;
    }
}
