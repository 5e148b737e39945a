using System.Net;
using WgSharp.Configuration;
using WgSharp.Device;
using WgSharp.Keys;
using WgSharp.Netstack;
using WgSharp.Tests.Device;
using WgSharp.Tests.Device.InMemory;

namespace WgSharp.Tests.Netstack;

/// <summary>
/// Two userspace stacks, each behind a real WireGuard device (handshake, encryption, cryptokey routing), on an
/// in-memory UDP network: the whole userspace-mode pipeline in one process, without sockets or root.
/// A is 10.98.0.1 / fd98::1, B 10.98.0.2 / fd98::2; each allows the other's /32 and /128.
/// </summary>
internal sealed class TunneledNetstackPair : IDisposable
{
    public static readonly IPAddress InnerA4 = IPAddress.Parse("10.98.0.1"), InnerB4 = IPAddress.Parse("10.98.0.2");
    public static readonly IPAddress InnerA6 = IPAddress.Parse("fd98::1"), InnerB6 = IPAddress.Parse("fd98::2");

    public TunneledNetstackPair(int mtu = 1420, DeviceOptions? options = null)
    {
        A = new Side(Network.Host("192.0.2.1"), [new IPNetwork(InnerA4, 32), new IPNetwork(InnerA6, 128)], mtu, options);
        B = new Side(Network.Host("192.0.2.2"), [new IPNetwork(InnerB4, 32), new IPNetwork(InnerB6, 128)], mtu, options);
        A.SetPeer(B, "10.98.0.2/32", "fd98::2/128");
        B.SetPeer(A, "10.98.0.1/32", "fd98::1/128");
        A.Device.Start();
        B.Device.Start();
    }

    public InMemoryNetwork Network { get; } = new();
    public Side A { get; }
    public Side B { get; }

    public void Dispose()
    {
        A.Device.Dispose();
        B.Device.Dispose();
    }

    internal sealed class Side
    {
        public Side(InMemoryHost host, IReadOnlyList<IPNetwork> addresses, int mtu, DeviceOptions? options)
        {
            Host = host;
            Stack = new WgSharp.Netstack.Netstack(new NetstackOptions { Addresses = addresses, Mtu = mtu });
            Device = new WireGuardDevice(new NetstackTunnel(Stack, "ns" + host.Address.GetAddressBytes()[^1]), host, new CapturingLogger(), options ?? new DeviceOptions());
            var routes = Device.AllowedIps;
            Stack.Routes = destination => routes.Lookup(destination) is not null;
            PrivateKey = KeyGenerator.GeneratePrivateKey();
            PublicKey = KeyGenerator.DerivePublicKey(PrivateKey);
            Apply(new DeviceUpdate { PrivateKey = PrivateKey });
        }

        public InMemoryHost Host { get; }
        public WgSharp.Netstack.Netstack Stack { get; }
        public WireGuardDevice Device { get; }
        public Key PrivateKey { get; }
        public Key PublicKey { get; }

        public void SetPeer(Side other, params string[] allowedIps)
        {
            var peer = new PeerUpdate(other.PublicKey) { ReplaceAllowedIps = true, Endpoint = other.Host.EndpointOf(other.Device.Transport.Port).ToIPEndPoint() };
            foreach (var text in allowedIps)
            {
                if (!IpPrefix.TryParse(text, out var prefix, out var error)) throw new ArgumentException(error);
                peer.AddAllowedIps.Add(prefix.Value);
            }
            var update = new DeviceUpdate();
            update.Peers.Add(peer);
            Apply(update);
        }

        private void Apply(DeviceUpdate update)
        {
            var result = Device.Apply(update);
            if (!result.IsOk) throw new InvalidOperationException(result.Message);
        }
    }
}
