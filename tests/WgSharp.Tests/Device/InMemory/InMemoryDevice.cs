using System.Net;
using WgSharp.Configuration;
using WgSharp.Device;
using WgSharp.Device.IO;
using WgSharp.Keys;

namespace WgSharp.Tests.Device.InMemory;

/// <summary>A wgsharp device on an in-memory tunnel and host: no root, no kernel, no namespace.</summary>
internal sealed class InMemoryDevice : IDisposable
{
    public InMemoryDevice(InMemoryNetwork network, string outerAddress, string innerAddress, DeviceOptions? options = null)
    {
        Host = network.Host(outerAddress);
        Tunnel = new InMemoryTunnel();
        Log = new CapturingLogger();
        InnerAddress = IPAddress.Parse(innerAddress);
        Device = new WireGuardDevice(Tunnel, Host, Log, options ?? new DeviceOptions { Debug = true });
        PrivateKey = KeyGenerator.GeneratePrivateKey();
        PublicKey = KeyGenerator.DerivePublicKey(PrivateKey);
        Apply(new DeviceUpdate { PrivateKey = PrivateKey });
    }

    public InMemoryHost Host { get; }
    public InMemoryTunnel Tunnel { get; }
    public CapturingLogger Log { get; }
    public WireGuardDevice Device { get; }
    public IPAddress InnerAddress { get; }
    public Key PrivateKey { get; }
    public Key PublicKey { get; }
    public UdpEndpoint Endpoint => Host.EndpointOf(Device.Transport.Port);

    public void Start() => Device.Start();

    public void Apply(DeviceUpdate update)
    {
        var result = Device.Apply(update);
        if (!result.IsOk) throw new InvalidOperationException(result.Message);
    }

    /// <summary>Adds (or changes) a peer: its public key, allowed IPs ("10.0.0.2/32,...") and optionally where it is.</summary>
    public void SetPeer(InMemoryDevice other, string allowedIps, bool withEndpoint = true, ushort? persistentKeepalive = null)
    {
        var peer = new PeerUpdate(other.PublicKey) { ReplaceAllowedIps = true, PersistentKeepalive = persistentKeepalive };
        if (withEndpoint) peer.Endpoint = other.Endpoint.ToIPEndPoint();
        foreach (var text in allowedIps.Split(','))
        {
            if (!IpPrefix.TryParse(text, out var prefix, out var error)) throw new ArgumentException(error);
            peer.AddAllowedIps.Add(prefix.Value);
        }
        var update = new DeviceUpdate();
        update.Peers.Add(peer);
        Apply(update);
    }

    public Peer PeerFor(InMemoryDevice other) => Device.FindPeer(other.PublicKey) ?? throw new InvalidOperationException("no such peer");

    public void Dispose() => Device.Dispose();
}

/// <summary>
/// Two devices back to back on one in-memory network: A (10.0.0.1 inside, 192.0.2.1 outside) and
/// B (10.0.0.2, 192.0.2.2), each the other's peer with the other's /32, both started.
/// </summary>
internal sealed class InMemoryPair : IDisposable
{
    public const string InnerA = "10.0.0.1", InnerB = "10.0.0.2";

    public InMemoryPair(DeviceOptions? optionsA = null, DeviceOptions? optionsB = null, bool endpointOnB = true)
    {
        A = new InMemoryDevice(Network, "192.0.2.1", InnerA, optionsA);
        B = new InMemoryDevice(Network, "192.0.2.2", InnerB, optionsB);
        A.SetPeer(B, InnerB + "/32");
        B.SetPeer(A, InnerA + "/32", withEndpoint: endpointOnB);
        A.Start();
        B.Start();
    }

    public InMemoryNetwork Network { get; } = new();
    public InMemoryDevice A { get; }
    public InMemoryDevice B { get; }

    public void Dispose()
    {
        A.Dispose();
        B.Dispose();
    }
}
