using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using WgSharp.Device.IO;

namespace WgSharp.Device;

/// <summary>
/// Follows DNS for peers whose endpoint was given as a host name (<see cref="Peer.EndpointName"/>), as
/// wireguard-tools' reresolve-dns.sh does from outside: the name is resolved again
/// <list type="bullet">
/// <item>when handshakes keep failing (the current one has been retried <see cref="FailingAfterRetries"/> times,
/// about 10 s), at most every <see cref="RetryInterval"/>: the endpoint moves to the resolved address if it is elsewhere;</item>
/// <item>every <see cref="Interval"/> otherwise: the endpoint moves only when the name's address changed since
/// the last resolution, so an endpoint that roamed (an authenticated packet from a new address) keeps winning.</item>
/// </list>
/// Resolution runs on this object's own thread, started by the first named endpoint (<see cref="OnApplied"/>;
/// a daemon without names runs no extra thread), where the UDP socket lives: in the daemon's own network and
/// mount namespace, or with wgrtable N in namespace rdomainN as `ip netns exec` sees it (its DNS servers,
/// /etc/netns/rdomainN/hosts and resolv.conf): the endpoint is reached through that network, and the daemon's
/// own resolver may well point into the tunnel that is down. Where that is is the platform's business, so the
/// lookup is given (on Linux, <c>NamespaceHostResolver.ResolveFor</c>).
/// </summary>
internal sealed class EndpointResolver : IDisposable
{
    public static readonly TimeSpan Interval = TimeSpan.FromMinutes(5);
    public static readonly TimeSpan RetryInterval = TimeSpan.FromSeconds(5);
    public const int FailingAfterRetries = 2;
    private static readonly TimeSpan Tick = TimeSpan.FromMilliseconds(500);

    private sealed class State
    {
        public IPAddress? LastResolved;
        public long LastAttempt = long.MinValue / 2;
    }

    private readonly WireGuardDevice _device;
    private readonly ILogger _logger;
    private readonly Func<string, IPAddress[]> _resolve;
    private readonly TimeSpan _interval;
    private readonly Dictionary<Peer, State> _states = new(ReferenceEqualityComparer.Instance);
    private readonly CancellationTokenSource _stopping = new();
    private Thread? _thread;
    private int _started;

    /// <summary>A resolver for <paramref name="device"/>'s named endpoints, logging to <paramref name="logger"/>,
    /// that looks names up with <paramref name="resolve"/> (where the device's UDP socket lives) at most every
    /// <paramref name="interval"/> (default <see cref="Interval"/>) while handshakes succeed.</summary>
    public EndpointResolver(WireGuardDevice device, ILogger logger, Func<string, IPAddress[]> resolve, TimeSpan? interval = null)
    {
        _device = device;
        _logger = logger;
        _resolve = resolve;
        _interval = interval ?? Interval;
    }

    /// <summary>Called after each applied change: the first endpoint given by name starts the resolver's thread.</summary>
    public void OnApplied(Configuration.DeviceUpdate update)
    {
        if (update.Peers.Any(p => p.EndpointName is not null)) Start();
    }

    /// <summary>Starts resolving (once; later calls do nothing).</summary>
    public void Start()
    {
        if (Interlocked.Exchange(ref _started, 1) != 0 || _stopping.IsCancellationRequested) return;
        _thread = new Thread(Run) { IsBackground = true, Name = "wg-resolve" };
        _thread.Start();
    }

    private void Run()
    {
        while (!_stopping.Token.WaitHandle.WaitOne(Tick))
        {
            try { CheckAll(); }
            catch (Exception e) { _logger.LogWarning("{Interface}: endpoint re-resolution failed: {Reason}", _device.InterfaceName, e.Message); }
        }
    }

    /// <summary>One pass over the peers with a name: resolves those that are due.</summary>
    internal void CheckAll()
    {
        long now = Stopwatch.GetTimestamp();
        var seen = new HashSet<Peer>(ReferenceEqualityComparer.Instance);
        foreach (var peer in _device.Peers)
        {
            if (peer.EndpointName is not { } name) continue;
            seen.Add(peer);
            if (!_states.TryGetValue(peer, out var state)) _states[peer] = state = new State();
            bool failing = peer.Protocol.Timers.HandshakeAttempts >= FailingAfterRetries;
            if (Stopwatch.GetElapsedTime(state.LastAttempt, now) < (failing ? RetryInterval : _interval)) continue;
            state.LastAttempt = now;
            Resolve(peer, name, state, failing);
        }
        foreach (var gone in _states.Keys.Where(p => !seen.Contains(p)).ToList()) _states.Remove(gone);
    }

    private void Resolve(Peer peer, Configuration.EndpointName name, State state, bool failing)
    {
        IPAddress[] addresses;
        try { addresses = _resolve(name.Host); }
        catch (Exception e) when (e is SocketException or ArgumentException)
        {
            _logger.LogDebug("{Interface}: {Peer}: cannot resolve {Host}: {Reason}", _device.InterfaceName, peer.LogName, name.Host, e.Message);
            return;
        }
        var current = peer.Endpoint;
        var usable = addresses.Where(a => a.AddressFamily is AddressFamily.InterNetwork or AddressFamily.InterNetworkV6).ToList();
        if (usable.Count == 0) return;
        // Stay on the current address while the name still has it; otherwise its first address.
        var chosen = usable.FirstOrDefault(a => !current.IsEmpty && a.Equals(current.ToIPEndPoint().Address)) ?? usable[0];
        bool dnsChanged = state.LastResolved is not null && !state.LastResolved.Equals(chosen);
        state.LastResolved = chosen;
        var target = UdpEndpoint.FromIPEndPoint(new IPEndPoint(chosen, name.Port));
        if (target == current || !(failing || dnsChanged)) return;
        // A name can be removed or replaced meanwhile; only the name just resolved may move the endpoint.
        if (!ReferenceEquals(peer.EndpointName, name) || peer.Removed) return;
        peer.SetEndpoint(target);
        _logger.LogInformation("{Interface}: {Peer}: endpoint {Host} now resolves to {Endpoint} (was {Previous})",
            _device.InterfaceName, peer.LogName, name.Host, target.ToIPEndPoint(), current.IsEmpty ? "none" : current.ToIPEndPoint());
    }

    public void Dispose()
    {
        _stopping.Cancel();
        if (_thread is { } thread && thread != Thread.CurrentThread) thread.Join(TimeSpan.FromSeconds(5));
        _stopping.Dispose();
    }
}
