// Two WireGuard interfaces embedded in one process, each in its own network namespace, their UDP sockets on
// this machine's loopback, and a ping from one namespace to the other through the tunnel. Needs root.
// Arguments (optional, for unique names): NAMESPACE_A NAMESPACE_B INTERFACE_A INTERFACE_B.
using System.Net;
using WgSharp;
using WgSharp.Keys;
using WgSharp.Samples;

string[] names = args.Length == 4 ? args : ["wgsample-a", "wgsample-b", "wgsample0", "wgsample1"];
var (namespaceA, namespaceB, interfaceA, interfaceB) = (names[0], names[1], names[2], names[3]);

// The library creates interfaces in a namespace but does not make namespaces or addresses: `ip` does.
Ip.Run("netns", "add", namespaceA);
Ip.Run("netns", "add", namespaceB);
try
{
    Key keyA = KeyGenerator.GeneratePrivateKey(), keyB = KeyGenerator.GeneratePrivateKey();
    await using var a = await WireGuardInterface.StartAsync(new WireGuardInterfaceOptions
    {
        Name = interfaceA,
        NetworkNamespace = namespaceA,
        Configuration = new InterfaceConfiguration { PrivateKey = keyA },
    });
    await using var b = await WireGuardInterface.StartAsync(new WireGuardInterfaceOptions
    {
        Name = interfaceB,
        NetworkNamespace = namespaceB,
        Configuration = new InterfaceConfiguration { PrivateKey = keyB },
    });

    // Each is the other's peer; the ports were chosen by the kernel at start.
    a.Configure(new InterfaceConfiguration { PrivateKey = keyA, Peers = [Peer(keyB, b.ListenPort, "10.99.0.2/32")] });
    b.Configure(new InterfaceConfiguration { PrivateKey = keyB, Peers = [Peer(keyA, a.ListenPort, "10.99.0.1/32")] });
    Ip.Run("-n", namespaceA, "address", "add", "10.99.0.1/24", "dev", interfaceA);
    Ip.Run("-n", namespaceB, "address", "add", "10.99.0.2/24", "dev", interfaceB);

    bool answered = Ip.Run("netns", "exec", namespaceA, "ping", "-c", "3", "-i", "0.2", "-W", "5", "10.99.0.2") == 0;

    var peer = a.GetStatus().Peers[0];
    Console.WriteLine($"{a.Name} -> {b.Name}: ping {(answered ? "answered" : "FAILED")}, " +
        $"handshake {(peer.LastHandshake is null ? "none" : "done")}, sent {peer.SentBytes} bytes, received {peer.ReceivedBytes} bytes");
    return answered ? 0 : 1;
}
catch (WireGuardException e)
{
    Console.Error.WriteLine($"embedded-ping: {e.Message} ({e.Reason})");
    return 1;
}
finally
{
    // Disposing the interfaces (above, at the end of the try block) removed them; the namespaces are ours to remove.
    Ip.Run("netns", "delete", namespaceA);
    Ip.Run("netns", "delete", namespaceB);
}

static PeerConfiguration Peer(Key privateKeyOfPeer, int port, string allowedIp) => new()
{
    PublicKey = KeyGenerator.DerivePublicKey(privateKeyOfPeer),
    Endpoint = new IPEndPoint(IPAddress.Loopback, port),
    AllowedIPs = [IPNetwork.Parse(allowedIp)],
};
