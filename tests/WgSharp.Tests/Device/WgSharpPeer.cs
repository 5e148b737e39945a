using System.Globalization;
using WgSharp.Configuration;
using WgSharp.Control.Uapi;
using WgSharp.Device;
using WgSharp.Linux;
using WgSharp.Keys;
using WgSharp.Tests.Integration.Infrastructure;

namespace WgSharp.Tests.Device;

/// <summary>
/// A wgsharp device running inside the test process, its TUN interface and UDP sockets in a test
/// namespace and its UAPI socket served, so the real `wg` can drive it and tests can read its counters.
/// </summary>
internal sealed class WgSharpPeer : IDisposable
{
    private readonly UapiServer _server;

    private WgSharpPeer(NetworkNamespace netns, WireGuardDevice device, UapiServer server, CapturingLogger log, Key privateKey)
    {
        Namespace = netns;
        Device = device;
        _server = server;
        Log = log;
        PrivateKey = privateKey;
        PublicKey = KeyGenerator.DerivePublicKey(privateKey);
    }

    public NetworkNamespace Namespace { get; }
    public WireGuardDevice Device { get; }
    public CapturingLogger Log { get; }
    public Key PrivateKey { get; }
    public Key PublicKey { get; }
    public string InterfaceName => Device.InterfaceName;
    public ushort ListenPort => Device.Transport.Port;

    public static WgSharpPeer Start(NetworkNamespace netns, DeviceOptions? options = null, ushort listenPort = 0)
    {
        var name = TestNames.NewInterface();
        var tun = TunDevice.CreateInNamespace(netns.Name, name);
        var log = new CapturingLogger();
        options ??= new DeviceOptions { Debug = true };
        var device = new WireGuardDevice(new LinuxTunnel(tun, options.Offloads), new LinuxDatagramTransportFactory(netns.Name, options.Offloads), log, options);
        var privateKey = KeyGenerator.GeneratePrivateKey();
        var result = device.Apply(new DeviceUpdate { PrivateKey = privateKey, ListenPort = listenPort == 0 ? null : listenPort });
        if (!result.IsOk) throw new InvalidOperationException(result.Message);
        var server = UapiServer.Start(device, log);
        device.Start();
        return new WgSharpPeer(netns, device, server, log, privateKey);
    }

    /// <summary>Configures a peer through the real `wg` tool (so the UAPI path is exercised too).</summary>
    public void SetPeer(Key publicKey, string allowedIps, string? endpoint = null, Key? presharedKey = null, int? persistentKeepalive = null)
    {
        var args = new List<string> { "set", InterfaceName, "peer", publicKey.ToBase64(), "allowed-ips", allowedIps };
        if (endpoint is not null) args.AddRange(["endpoint", endpoint]);
        if (persistentKeepalive is { } pka) args.AddRange(["persistent-keepalive", pka.ToString(CultureInfo.InvariantCulture)]);
        string? stdin = null;
        if (presharedKey is { } psk)
        {
            args.AddRange(["preshared-key", "/dev/stdin"]);
            stdin = psk.ToBase64() + "\n";
        }
        Wg(args, stdin);
    }

    public CommandResult Wg(IEnumerable<string> arguments, string? standardInput = null) =>
        Namespace.Exec("wg", arguments, null, standardInput).EnsureSuccess();

    public void AddAddressAndUp(params string[] prefixes)
    {
        foreach (var prefix in prefixes) NetNs.AddAddress(Namespace.Name, InterfaceName, prefix);
        NetNs.SetLinkUp(Namespace.Name, InterfaceName, true);
    }

    public Peer PeerFor(Key publicKey) => Device.FindPeer(publicKey) ?? throw new InvalidOperationException("no such peer");

    public void Dispose()
    {
        _server.Dispose();
        Device.Dispose();
    }
}
