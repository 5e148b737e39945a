using System.Net;
using WgSharp.Keys;
using WgSharp.Linux;
using WgSharp.Tests.Integration.Infrastructure;

namespace WgSharp.Tests.Embedding;

/// <summary>
/// Two embedded interfaces through the public API only, each created in its own namespace (10.77.0.1 and
/// 10.77.0.2), their UDP sockets on this process's loopback and configured as each other's peer.
/// </summary>
internal sealed class EmbeddedPair : IAsyncDisposable
{
    public NetworkNamespace NamespaceA { get; } = NetworkNamespace.Create();
    public NetworkNamespace NamespaceB { get; } = NetworkNamespace.Create();
    public WireGuardInterface A { get; private set; } = null!;
    public WireGuardInterface B { get; private set; } = null!;
    public Key KeyA { get; } = KeyGenerator.GeneratePrivateKey();
    public Key KeyB { get; } = KeyGenerator.GeneratePrivateKey();

    public static async Task<EmbeddedPair> StartAsync(bool controlSocket = false)
    {
        var pair = new EmbeddedPair();
        try
        {
            pair.A = await WireGuardInterface.StartAsync(Options(pair.NamespaceA, pair.KeyA, controlSocket));
            pair.B = await WireGuardInterface.StartAsync(Options(pair.NamespaceB, pair.KeyB, controlSocket));
            pair.A.Configure(Configuration(pair.KeyA, pair.KeyB, "10.77.0.2/32", pair.B.ListenPort));
            pair.B.Configure(Configuration(pair.KeyB, pair.KeyA, "10.77.0.1/32", pair.A.ListenPort));
            NetNs.AddAddress(pair.NamespaceA.Name, pair.A.Name, "10.77.0.1/24");
            NetNs.AddAddress(pair.NamespaceB.Name, pair.B.Name, "10.77.0.2/24");
            return pair;
        }
        catch
        {
            await pair.DisposeAsync();
            throw;
        }
    }

    public static WireGuardInterfaceOptions Options(NetworkNamespace netns, Key privateKey, bool controlSocket = false) => new()
    {
        Name = TestNames.NewInterface(),
        NetworkNamespace = netns.Name,
        ControlSocket = controlSocket,
        Configuration = new InterfaceConfiguration { PrivateKey = privateKey },
    };

    public static InterfaceConfiguration Configuration(Key own, Key peer, string allowedIp, int peerPort) => new()
    {
        PrivateKey = own,
        Peers =
        [
            new PeerConfiguration
            {
                PublicKey = KeyGenerator.DerivePublicKey(peer),
                Endpoint = new IPEndPoint(IPAddress.Loopback, peerPort),
                AllowedIPs = [IPNetwork.Parse(allowedIp)],
            },
        ],
    };

    public async ValueTask DisposeAsync()
    {
        if (A != null) await A.DisposeAsync();
        if (B != null) await B.DisposeAsync();
        NamespaceA.Dispose();
        NamespaceB.Dispose();
    }
}
