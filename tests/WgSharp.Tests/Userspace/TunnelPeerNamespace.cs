using System.Globalization;
using System.Net;
using WgSharp.Keys;
using WgSharp.Linux;
using WgSharp.Tests.Device;
using WgSharp.Tests.Integration.Infrastructure;

namespace WgSharp.Tests.Userspace;

/// <summary>Which WireGuard implementation answers the probe from the peer namespace.</summary>
public enum FarEnd
{
    /// <summary>Debian's wireguard-go with its TUN interface.</summary>
    WireGuardGo,

    /// <summary>wgsharp in TUN mode (the device inside the test process, its interface in the namespace).</summary>
    WgSharpTun,
}

/// <summary>
/// The far end of the probe's tunnel: a namespace joined to the ROOT namespace by a veth pair (the probe, an ordinary
/// process of user nobody there, reaches the peer's UDP port through it), a WireGuard peer in it whose tunnel interface
/// has <see cref="PeerAddress"/> and routes <see cref="ProbeAddress"/> to the probe, and the kernel's TCP/UDP behind it.
/// </summary>
internal sealed class TunnelPeerNamespace : IDisposable
{
    public const string PeerAddress = "10.77.0.1";
    public const string ProbeAddress = "10.77.0.2";
    private static int s_counter;
    private readonly WireGuardGoPeer? _wireGuardGo;
    private readonly WgSharpPeer? _wgSharp;
    private readonly (Key Private, Key Public) _probeKeys = WgKeys.Generate();

    public TunnelPeerNamespace(FarEnd farEnd = FarEnd.WireGuardGo)
    {
        Namespace = NetworkNamespace.Create();
        try
        {
            (string rootSide, string peerSide) = OuterAddresses();
            OuterPeerAddress = peerSide;
            var rootInterface = TestNames.NewInterface();
            var peerInterface = TestNames.NewInterface();
            // Deleting the namespace deletes its end of the pair and so the root end too.
            IpCommand.Run(null, "link", "add", rootInterface, "type", "veth", "peer", "name", peerInterface, "netns", Namespace.Name).EnsureSuccess();
            NetNs.AddAddress(null, rootInterface, rootSide + "/30");
            NetNs.SetLinkUp(null, rootInterface, true);
            NetNs.AddAddress(Namespace.Name, peerInterface, peerSide + "/30");
            NetNs.SetLinkUp(Namespace.Name, peerInterface, true);

            string allowed = ProbeAddress + "/32";
            if (farEnd == FarEnd.WireGuardGo)
            {
                _wireGuardGo = WireGuardGoPeer.Start(Namespace);
                _wireGuardGo.SetPeer(_probeKeys.Public, allowed);
                _wireGuardGo.AddAddressAndUp(PeerAddress + "/24");
                PeerPublicKey = _wireGuardGo.PublicKey;
                ListenPort = _wireGuardGo.ListenPort;
            }
            else
            {
                _wgSharp = WgSharpPeer.Start(Namespace, new WgSharp.Device.DeviceOptions());
                _wgSharp.SetPeer(_probeKeys.Public, allowed);
                _wgSharp.AddAddressAndUp(PeerAddress + "/24");
                PeerPublicKey = _wgSharp.PublicKey;
                ListenPort = _wgSharp.ListenPort;
            }
            StartCaptureIfAsked(TunnelInterface);
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    public NetworkNamespace Namespace { get; }
    public Key PeerPublicKey { get; }
    public int ListenPort { get; }
    public string OuterPeerAddress { get; }
    public Key ProbePrivateKey => _probeKeys.Private;
    public static IPAddress PeerIp { get; } = IPAddress.Parse(PeerAddress);

    /// <summary>The peer's tunnel interface in <see cref="Namespace"/> (where crafted packets toward the probe are sent).</summary>
    public string TunnelInterface => _wireGuardGo?.InterfaceName ?? _wgSharp!.InterfaceName;

    /// <summary>What wireguard-go logged (for failure messages); empty for the wgsharp far end.</summary>
    public string PeerLog => _wireGuardGo?.Log ?? "";

    /// <summary>The probe's interface options: its key and address, the peer's key and endpoint, then <paramref name="extra"/>.</summary>
    public List<string> ProbeOptions(bool fastPaths, params string[] extra)
    {
        var options = new List<string>
        {
            "--private-key", ProbePrivateKey.ToBase64(),
            "--peer-public-key", PeerPublicKey.ToBase64(),
            "--peer-endpoint", $"{OuterPeerAddress}:{ListenPort.ToString(CultureInfo.InvariantCulture)}",
            "--address", ProbeAddress + "/32",
            "--allowed-ips", "10.77.0.0/24",
        };
        if (!fastPaths)
            options.Add("--no-fast-paths");
        options.AddRange(extra);
        return options;
    }

    /// <summary>The environment for a probe or sample run: with the fast paths off, the portable AEAD too.</summary>
    public static Dictionary<string, string> ProbeEnvironment(bool fastPaths) =>
        fastPaths ? [] : new() { ["WGSHARP_AEAD"] = "libsodium" };

    /// <summary>Stops the WireGuard peer (the tunnel goes silent; the namespace and its servers stay).</summary>
    public void StopPeer()
    {
        _wireGuardGo?.Dispose();
        _wgSharp?.Dispose();
    }

    /// <summary>
    /// A /30 of 100.64.0.0/10 (shared address space, unused on test machines) from this process id and a counter, so
    /// concurrent test runs in the shared root namespace get different ones.
    /// </summary>
    private static (string Root, string Peer) OuterAddresses()
    {
        int index = (Environment.ProcessId * 16 + (Interlocked.Increment(ref s_counter) & 15)) & ((1 << 20) - 1);
        uint network = 0x64400000u | ((uint)index << 2); // 100.64.0.0 + index * 4
        return (Format(network + 1), Format(network + 2));
    }

    private static string Format(uint address) =>
        new IPAddress([(byte)(address >> 24), (byte)(address >> 16), (byte)(address >> 8), (byte)address]).ToString();

    /// <summary>
    /// With WGSHARP_E2E_CAPTURE=DIR, tcpdump records the peer's tunnel interface (the probe's packets in clear) into
    /// DIR/NAMESPACE.pcap, for reporting a stack bug.
    /// </summary>
    private void StartCaptureIfAsked(string tunnelInterface)
    {
        if (System.Environment.GetEnvironmentVariable("WGSHARP_E2E_CAPTURE") is not { Length: > 0 } directory)
            return;
        Directory.CreateDirectory(directory);
        var start = new System.Diagnostics.ProcessStartInfo("ip") { UseShellExecute = false, RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var argument in new[] { "netns", "exec", Namespace.Name, "tcpdump", "-ni", tunnelInterface, "-s", "256", "-U", "-w",
                     Path.Combine(directory, Namespace.Name + ".pcap") })
            start.ArgumentList.Add(argument);
        _capture = System.Diagnostics.Process.Start(start);
        Thread.Sleep(500); // tcpdump attaches
    }

    private System.Diagnostics.Process? _capture;

    public void Dispose()
    {
        if (_capture is { } capture)
        {
            CommandRunner.Run("kill", "-INT", capture.Id.ToString(CultureInfo.InvariantCulture));
            capture.WaitForExit(5000);
            capture.Dispose();
        }
        StopPeer();
        Namespace?.Dispose();
    }
}
