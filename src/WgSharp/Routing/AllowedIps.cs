using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using WgSharp.Collections;
using WgSharp.Configuration;

namespace WgSharp.Routing;

/// <summary>
/// The cryptokey routing table: maps allowed-IP prefixes to peers and finds the peer for an address
/// by longest-prefix match, separately for IPv4 and IPv6. A prefix belongs to at most one peer;
/// inserting it for another peer moves it.
/// <para>
/// Thread-safety: lookups are lock-free and allocation-free and may run on any number of threads
/// while the control plane mutates. Mutations are serialised by a lock and never modify anything a
/// reader can see in place, except to swap one node reference for a complete replacement, so a
/// reader always observes a consistent table (before or after each mutation). Lock-free reads were
/// chosen over a reader-writer lock because lookups are on the per-packet path and mutations are rare.
/// </para>
/// </summary>
internal sealed class AllowedIps<TPeer> where TPeer : class
{
    private readonly Lock _gate = new();
    private readonly PrefixTrie<TPeer> _ipv4 = new(32);
    private readonly PrefixTrie<TPeer> _ipv6 = new(128);
    // Per-peer prefixes in insertion order, for EntriesForPeer and RemoveByPeer; a set, so taking one
    // prefix away from a peer with a million is O(1) (a List made loading quadratic). Guarded by _gate.
    private readonly Dictionary<TPeer, InsertionOrderedSet<RouteKey>> _byPeer = new(ReferenceEqualityComparer.Instance);
    private readonly IEqualityComparer<RouteKey>? _keyComparer;
    private int _count;

    /// <summary>An empty table.</summary>
    /// <param name="keyComparer">Compares prefixes in the per-peer sets; null for value equality (tests pass one that counts the work).</param>
    public AllowedIps(IEqualityComparer<RouteKey>? keyComparer = null) => _keyComparer = keyComparer;

    /// <summary>Number of prefixes in the table (both families).</summary>
    public int Count => Volatile.Read(ref _count);

    /// <summary>
    /// Routes <paramref name="prefix"/> (host bits are cleared) to <paramref name="peer"/>, taking it
    /// away from whichever peer had it before.
    /// </summary>
    public void Insert(IpPrefix prefix, TPeer peer)
    {
        ArgumentNullException.ThrowIfNull(peer);
        var key = RouteKey.FromPrefix(prefix);
        lock (_gate)
        {
            var previous = TrieFor(key).Insert(key.Hi, key.Lo, key.Bits, peer);
            if (ReferenceEquals(previous, peer)) return;
            if (previous is null) _count++;
            else ForgetKey(previous, key);
            if (!_byPeer.TryGetValue(peer, out var keys)) _byPeer[peer] = keys = new InsertionOrderedSet<RouteKey>(_keyComparer);
            keys.Add(key);
        }
    }

    /// <summary>
    /// Routes every prefix in <paramref name="prefixes"/> to <paramref name="peer"/>: the same result as
    /// calling <see cref="Insert"/> for each in order, but each trie node is copied once per call
    /// rather than once per prefix, so loading a million prefixes is linear in practice too.
    /// </summary>
    public void InsertRange(IEnumerable<IpPrefix> prefixes, TPeer peer)
    {
        ArgumentNullException.ThrowIfNull(prefixes);
        ArgumentNullException.ThrowIfNull(peer);
        var keys = prefixes.Select(RouteKey.FromPrefix).ToArray(); // a bad prefix throws before anything changes
        if (keys.Length == 0) return;
        lock (_gate)
        {
            var previous = new TPeer?[keys.Length];
            _ipv4.InsertMany(keys, peer, previous);
            _ipv6.InsertMany(keys, peer, previous);
            InsertionOrderedSet<RouteKey>? owned = null;
            for (int i = 0; i < keys.Length; i++)
            {
                if (ReferenceEquals(previous[i], peer)) continue;
                if (previous[i] is null) _count++;
                else ForgetKey(previous[i]!, keys[i]);
                if (owned is null && !_byPeer.TryGetValue(peer, out owned)) _byPeer[peer] = owned = new InsertionOrderedSet<RouteKey>(_keyComparer);
                owned.Add(keys[i]);
            }
        }
    }

    /// <summary>Removes <paramref name="prefix"/> (host bits are cleared) if <paramref name="peer"/> owns it.</summary>
    public bool Remove(IpPrefix prefix, TPeer peer)
    {
        ArgumentNullException.ThrowIfNull(peer);
        var key = RouteKey.FromPrefix(prefix);
        lock (_gate)
        {
            if (!TrieFor(key).Remove(key.Hi, key.Lo, key.Bits, peer)) return false;
            ForgetKey(peer, key);
            _count--;
            return true;
        }
    }

    /// <summary>Removes every prefix of <paramref name="peer"/>.</summary>
    public void RemoveByPeer(TPeer peer)
    {
        ArgumentNullException.ThrowIfNull(peer);
        lock (_gate)
        {
            if (!_byPeer.Remove(peer, out var owned)) return;
            var keys = owned.ToArray();
            _count -= _ipv4.RemoveMany(keys, peer) + _ipv6.RemoveMany(keys, peer);
        }
    }

    /// <summary>Removes every prefix of every peer.</summary>
    public void Clear()
    {
        lock (_gate)
        {
            foreach (var (peer, owned) in _byPeer)
            {
                var keys = owned.ToArray();
                _ipv4.RemoveMany(keys, peer);
                _ipv6.RemoveMany(keys, peer);
            }
            _byPeer.Clear();
            _count = 0;
        }
    }

    /// <summary>The prefixes of <paramref name="peer"/> in the order they were first given to it (a snapshot).</summary>
    public IEnumerable<IpPrefix> EntriesForPeer(TPeer peer)
    {
        ArgumentNullException.ThrowIfNull(peer);
        lock (_gate)
        {
            if (!_byPeer.TryGetValue(peer, out var keys)) return [];
            var result = new IpPrefix[keys.Count];
            int i = 0;
            foreach (var key in keys) result[i++] = key.ToPrefix();
            return result;
        }
    }

    /// <summary>The peer owning exactly <paramref name="prefix"/> (not a longest-prefix match), or null.</summary>
    public TPeer? OwnerOf(IpPrefix prefix)
    {
        var key = RouteKey.FromPrefix(prefix);
        lock (_gate) return TrieFor(key).Find(key.Hi, key.Lo, key.Bits);
    }

    /// <summary>
    /// Longest-prefix match for a raw address as found in a packet header: 4 bytes for IPv4, 16 for
    /// IPv6; any other length matches nothing. Lock-free and allocation-free.
    /// </summary>
    public TPeer? Lookup(ReadOnlySpan<byte> address) => address.Length switch
    {
        4 => _ipv4.Lookup((ulong)BinaryPrimitives.ReadUInt32BigEndian(address) << 32, 0),
        16 => _ipv6.Lookup(BinaryPrimitives.ReadUInt64BigEndian(address), BinaryPrimitives.ReadUInt64BigEndian(address[8..])),
        _ => null,
    };

    /// <summary>Longest-prefix match for an IPv4 address given as its big-endian value (10.0.0.1 = 0x0A000001).</summary>
    public TPeer? LookupIPv4(uint address) => _ipv4.Lookup((ulong)address << 32, 0);

    /// <summary>Longest-prefix match for an IPv6 address given as its two big-endian 64-bit halves.</summary>
    public TPeer? LookupIPv6(ulong high, ulong low) => _ipv6.Lookup(high, low);

    /// <summary>Longest-prefix match for an <see cref="IPAddress"/> (IPv4-mapped IPv6 addresses are IPv6).</summary>
    public TPeer? Lookup(IPAddress address)
    {
        ArgumentNullException.ThrowIfNull(address);
        if (address.AddressFamily is not (AddressFamily.InterNetwork or AddressFamily.InterNetworkV6)) return null;
        Span<byte> bytes = stackalloc byte[16];
        return address.TryWriteBytes(bytes, out int length) ? Lookup(bytes[..length]) : null;
    }

    /// <summary>Trie node count for both families (diagnostics and tests).</summary>
    internal int NodeCount
    {
        get { lock (_gate) return _ipv4.CountNodes() + _ipv6.CountNodes(); }
    }

    private PrefixTrie<TPeer> TrieFor(RouteKey key) => key.IsIPv6 ? _ipv6 : _ipv4;

    private void ForgetKey(TPeer peer, RouteKey key)
    {
        if (!_byPeer.TryGetValue(peer, out var keys)) return;
        keys.Remove(key);
        if (keys.Count == 0) _byPeer.Remove(peer);
    }
}
