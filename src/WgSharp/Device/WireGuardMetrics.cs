using System.Diagnostics.Metrics;

namespace WgSharp.Device;

/// <summary>
/// The devices' counters as System.Diagnostics.Metrics instruments on the meter <see cref="MeterName"/>, so an
/// embedding application collects them with OpenTelemetry (AddMeter("WgSharp")) and the daemon serves them to
/// Prometheus. Every instrument is observable: it reads the counters the data path keeps anyway, only when a
/// collector asks, so metrics cost the packet path nothing. Names follow prometheus_wireguard_exporter where it
/// has one (wireguard_sent_bytes, wireguard_received_bytes, wireguard_latest_handshake_seconds with the labels
/// interface, public_key, allowed_ips); wgsharp's own counters are wgsharp_NAME (per interface) and
/// wgsharp_peer_NAME (per peer), NAME from <see cref="CounterNames"/>.
/// </summary>
internal sealed class WireGuardMetrics : IDisposable
{
    public const string MeterName = "WgSharp";

    private readonly Meter _meter;
    private readonly List<WireGuardDevice> _devices = [];
    private readonly List<(string Interface, Netstack.Netstack Stack)> _stacks = [];

    public WireGuardMetrics(IMeterFactory? meterFactory = null)
    {
        _meter = meterFactory?.Create(MeterName) ?? new Meter(MeterName);
        _meter.CreateObservableCounter("wireguard_sent_bytes", () => PerPeer((_, peer) => (long)peer.TxBytes), description: "Bytes sent to the peer");
        _meter.CreateObservableCounter("wireguard_received_bytes", () => PerPeer((_, peer) => (long)peer.RxBytes), description: "Bytes received from the peer");
        _meter.CreateObservableGauge("wireguard_latest_handshake_seconds",
            () => PerPeer((_, peer) => peer.Protocol.LastHandshake?.ToUnixTimeSeconds() ?? 0),
            description: "UNIX timestamp seconds of the last handshake");
        _meter.CreateObservableGauge("wgsharp_keypair_age_seconds",
            () => PerPeer((device, peer) => (long?)peer.KeypairAge(device.Now)?.TotalSeconds ?? -1),
            description: "Age of the current session keys in seconds, -1 without a session");
        foreach (var counter in CounterScope.Device)
            _meter.CreateObservableCounter("wgsharp_" + CounterNames.Of(counter), () => PerInterface(counter), description: CounterNames.Describe(counter));
        foreach (var counter in CounterScope.Peer)
            _meter.CreateObservableCounter("wgsharp_peer_" + CounterNames.Of(counter), () => PerPeerCounter(counter), description: CounterNames.Describe(counter));
        foreach (var counter in Netstack.NetstackCounters.All)
            _meter.CreateObservableCounter("wgsharp_netstack_" + Netstack.NetstackCounters.Name(counter), () => PerStack(stack => stack.Counters[counter]),
                description: "Userspace stack: " + Netstack.NetstackCounters.Name(counter).Replace('_', ' '));
        _meter.CreateObservableGauge("wgsharp_netstack_tcp_connections", () => PerStack(stack => stack.Tcp.ConnectionCount),
            description: "Userspace stack: TCP connections open (any state but listening)");
    }

    /// <summary>Adds a userspace interface's stack (its counters appear as wgsharp_netstack_*).</summary>
    public void Add(string interfaceName, Netstack.Netstack stack) { lock (_stacks) _stacks.Add((interfaceName, stack)); }

    private List<Measurement<long>> PerStack(Func<Netstack.Netstack, long> read)
    {
        (string Interface, Netstack.Netstack Stack)[] stacks;
        lock (_stacks) stacks = [.. _stacks];
        var measurements = new List<Measurement<long>>(stacks.Length);
        foreach (var (name, stack) in stacks)
            measurements.Add(new Measurement<long>(read(stack), new KeyValuePair<string, object?>("interface", name)));
        return measurements;
    }

    public void Add(WireGuardDevice device) { lock (_devices) _devices.Add(device); }
    public void Remove(WireGuardDevice device) { lock (_devices) _devices.Remove(device); }

    private WireGuardDevice[] Devices() { lock (_devices) return [.. _devices]; }

    private List<Measurement<long>> PerPeer(Func<WireGuardDevice, Peer, long> read)
    {
        var measurements = new List<Measurement<long>>();
        foreach (var device in Devices())
            foreach (var peer in device.Peers.OrderBy(p => p.CreatedOrder))
                measurements.Add(new Measurement<long>(read(device, peer),
                    new("interface", device.InterfaceName), new("public_key", peer.PublicKey.ToBase64()), new("allowed_ips", AllowedIpsLabel(device, peer))));
        return measurements;
    }

    private List<Measurement<long>> PerInterface(Counter counter)
    {
        var measurements = new List<Measurement<long>>();
        foreach (var device in Devices())
            measurements.Add(new Measurement<long>(device.Counters[counter], new KeyValuePair<string, object?>("interface", device.InterfaceName)));
        return measurements;
    }

    private List<Measurement<long>> PerPeerCounter(Counter counter)
    {
        var measurements = new List<Measurement<long>>();
        foreach (var device in Devices())
            foreach (var peer in device.Peers.OrderBy(p => p.CreatedOrder))
                measurements.Add(new Measurement<long>(peer.Counters[counter],
                    new("interface", device.InterfaceName), new("public_key", peer.PublicKey.ToBase64())));
        return measurements;
    }

    /// <summary>As prometheus_wireguard_exporter: the peer's allowed IPs joined with commas.</summary>
    private static string AllowedIpsLabel(WireGuardDevice device, Peer peer) =>
        string.Join(',', device.AllowedIps.EntriesForPeer(peer).Select(p => p.ToString()));

    public void Dispose() => _meter.Dispose();
}
