using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;

namespace WgSharp.Netstack.Dns;

/// <summary>
/// A stub resolver that asks the interface's DNS servers through the tunnel (over the stack's UDP), never the host's
/// resolver: A and AAAA, CNAME chains followed, answers cached for their TTL (bounded).
/// </summary>
internal sealed class DnsResolver
{
    /// <summary>How long to wait for an answer to one query datagram.</summary>
    public static readonly TimeSpan DefaultAttemptTimeout = TimeSpan.FromSeconds(2);
    /// <summary>Query datagrams sent to each server before moving on to the next.</summary>
    public const int AttemptsPerServer = 2;
    /// <summary>Names (per family) cached at most: the least recently expiring one makes room.</summary>
    public const int CacheCapacity = 256;
    public const uint MinCacheSeconds = 1, MaxCacheSeconds = 3600;

    private const int ResponseBufferSize = 1500; // we send no EDNS, so servers stay within 512; accept up to a datagram anyway

    private readonly IDnsTransport _transport;
    private readonly IReadOnlyList<IPAddress> _servers;
    private readonly TimeSpan _attemptTimeout;
    private readonly Func<long> _nowMs;
    private readonly Dictionary<(string Name, DnsRecordType Type), CacheEntry> _cache = [];
    private readonly Lock _cacheLock = new();

    /// <param name="bind">Opens a UDP socket on the stack (port 0) for a query.</param>
    /// <param name="servers">The DNS servers, in order of preference.</param>
    public DnsResolver(Func<WgSharp.Device.IO.UdpEndpoint, Udp.UdpSocketCore> bind, IReadOnlyList<IPAddress> servers)
        : this(new StackDnsTransport(bind), servers, DefaultAttemptTimeout, static () => Environment.TickCount64)
    {
    }

    /// <summary>The resolver over any transport, with its own per-attempt timeout and clock (tests).</summary>
    internal DnsResolver(IDnsTransport transport, IReadOnlyList<IPAddress> servers, TimeSpan attemptTimeout, Func<long> nowMs)
    {
        ArgumentNullException.ThrowIfNull(transport);
        ArgumentNullException.ThrowIfNull(servers);
        _transport = transport;
        _servers = servers;
        _attemptTimeout = attemptTimeout;
        _nowMs = nowMs;
    }

    /// <summary>Names currently cached (tests).</summary>
    internal int CachedCount
    {
        get { lock (_cacheLock) return _cache.Count; }
    }

    /// <summary>
    /// The addresses of <paramref name="host"/> (an IP literal is returned as is) of <paramref name="family"/>
    /// (Unspecified: A and AAAA, IPv4 first). SocketException HostNotFound (NXDOMAIN or no address), TryAgain (no server
    /// answered), NoData when no servers are configured.
    /// </summary>
    public Task<IPAddress[]> ResolveAsync(string host, AddressFamily family, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(host);
        if (family is not (AddressFamily.Unspecified or AddressFamily.InterNetwork or AddressFamily.InterNetworkV6))
            throw new ArgumentOutOfRangeException(nameof(family), family, "IPv4, IPv6 or Unspecified");
        if (IPAddress.TryParse(host, out var literal))
        {
            if (literal.IsIPv4MappedToIPv6) literal = literal.MapToIPv4();
            if (family != AddressFamily.Unspecified && literal.AddressFamily != family)
                return Task.FromException<IPAddress[]>(new SocketException((int)SocketError.HostNotFound));
            return Task.FromResult<IPAddress[]>([literal]);
        }
        string name = Normalize(host);
        if (_servers.Count == 0) return Task.FromException<IPAddress[]>(new SocketException((int)SocketError.NoData));
        return family switch
        {
            AddressFamily.InterNetwork => ResolveOneAsync(name, DnsRecordType.A, cancellationToken),
            AddressFamily.InterNetworkV6 => ResolveOneAsync(name, DnsRecordType.Aaaa, cancellationToken),
            _ => ResolveBothAsync(name, cancellationToken),
        };
    }

    private async Task<IPAddress[]> ResolveOneAsync(string name, DnsRecordType type, CancellationToken cancellationToken)
    {
        try
        {
            return await ResolveTypeAsync(name, type, cancellationToken).ConfigureAwait(false);
        }
        catch (SocketException e) when (e.SocketErrorCode == SocketError.NoData)
        {
            throw new SocketException((int)SocketError.HostNotFound); // the name exists, but has no address of this family
        }
    }

    /// <summary>Lower-case ASCII (IDNA for other scripts), no trailing dot; ArgumentException when it cannot be a DNS name.</summary>
    internal static string Normalize(string host)
    {
        string name = host.EndsWith('.') ? host[..^1] : host;
        try
        {
            name = new IdnMapping().GetAscii(name).ToLowerInvariant();
        }
        catch (ArgumentException e)
        {
            throw new ArgumentException($"'{host}' is not a valid host name", nameof(host), e);
        }
        if (!DnsMessage.IsValidName(name)) throw new ArgumentException($"'{host}' is not a valid host name", nameof(host));
        return name;
    }

    private async Task<IPAddress[]> ResolveBothAsync(string name, CancellationToken cancellationToken)
    {
        var v4 = ResolveTypeAsync(name, DnsRecordType.A, cancellationToken);
        var v6 = ResolveTypeAsync(name, DnsRecordType.Aaaa, cancellationToken);
        try { await Task.WhenAll(v4, v6).ConfigureAwait(false); }
        catch (Exception) when (!cancellationToken.IsCancellationRequested) { } // each task's own outcome is looked at below
        cancellationToken.ThrowIfCancellationRequested();

        var addresses = new List<IPAddress>();
        if (v4.IsCompletedSuccessfully) addresses.AddRange(v4.Result);
        if (v6.IsCompletedSuccessfully) addresses.AddRange(v6.Result);
        if (addresses.Count > 0) return [.. addresses];
        // Nothing: the name does not exist (either said so) beats "no answer", which beats "no address".
        SocketError v4Error = ErrorOf(v4), v6Error = ErrorOf(v6);
        if (v4Error == SocketError.HostNotFound || v6Error == SocketError.HostNotFound) throw new SocketException((int)SocketError.HostNotFound);
        if (v4Error == SocketError.TryAgain || v6Error == SocketError.TryAgain) throw new SocketException((int)SocketError.TryAgain);
        throw new SocketException((int)SocketError.HostNotFound);
    }

    private static SocketError ErrorOf(Task task) =>
        task.Exception?.InnerException is SocketException e ? e.SocketErrorCode : SocketError.Success;

    /// <summary>
    /// One record type: from the cache, or from the servers in order (two attempts each). SocketException HostNotFound
    /// (NXDOMAIN: no other server is asked), NoData (the name has no such records), TryAgain (no usable answer).
    /// </summary>
    private async Task<IPAddress[]> ResolveTypeAsync(string name, DnsRecordType type, CancellationToken cancellationToken)
    {
        if (TryGetCached(name, type, out var cached)) return cached;

        var query = new byte[DnsMessage.MaxQuerySize];
        var response = new byte[ResponseBufferSize];
        foreach (var server in _servers)
        {
            ushort id = (ushort)RandomNumberGenerator.GetInt32(0, 1 << 16);
            int queryLength = DnsMessage.WriteQuery(query, id, name, type);
            DnsAnswer? answer = null;
            try
            {
                answer = await AskAsync(server, query.AsMemory(0, queryLength), response, id, name, type, cancellationToken).ConfigureAwait(false);
            }
            catch (SocketException) { } // unreachable server, ICMP error: the next one may do
            if (answer is not { } result) continue;
            switch (result.ResponseCode)
            {
                case DnsAnswer.NoError:
                    if (result.Addresses.Length == 0)
                    {
                        // The name exists without such records (or a truncated answer lost them: we do not retry over TCP).
                        if (result.Truncated) continue;
                        throw new SocketException((int)SocketError.NoData);
                    }
                    AddToCache(name, type, result.Addresses, result.TtlSeconds);
                    return result.Addresses;
                case DnsAnswer.NameError:
                    throw new SocketException((int)SocketError.HostNotFound);
                default:
                    continue; // SERVFAIL, REFUSED, ...: ask the next server
            }
        }
        throw new SocketException((int)SocketError.TryAgain);
    }

    /// <summary>Up to <see cref="AttemptsPerServer"/> sends to one server; the first valid response, or null when none came.</summary>
    private async Task<DnsAnswer?> AskAsync(IPAddress server, ReadOnlyMemory<byte> query, byte[] response, ushort id, string name, DnsRecordType type, CancellationToken cancellationToken)
    {
        using var channel = _transport.Open(server);
        for (int attempt = 0; attempt < AttemptsPerServer; attempt++)
        {
            channel.Send(query.Span);
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(_attemptTimeout);
            try
            {
                while (true)
                {
                    int length = await channel.ReceiveAsync(response, timeout.Token).ConfigureAwait(false);
                    // Same ID for every attempt: a late answer to the first send is as good as one to the second.
                    if (DnsMessage.TryParseResponse(response.AsSpan(0, length), id, name, type, out var answer) == DnsParseStatus.Ok)
                        return answer;
                }
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                // This attempt timed out: send again, or give up on this server.
            }
        }
        return null;
    }

    private bool TryGetCached(string name, DnsRecordType type, out IPAddress[] addresses)
    {
        lock (_cacheLock)
        {
            if (_cache.TryGetValue((name, type), out var entry))
            {
                if (entry.ExpiresAtMs > _nowMs())
                {
                    addresses = entry.Addresses;
                    return true;
                }
                _cache.Remove((name, type));
            }
        }
        addresses = [];
        return false;
    }

    private void AddToCache(string name, DnsRecordType type, IPAddress[] addresses, uint ttlSeconds)
    {
        long now = _nowMs();
        long expiresAt = now + Math.Clamp(ttlSeconds, MinCacheSeconds, MaxCacheSeconds) * 1000L;
        lock (_cacheLock)
        {
            if (_cache.Count >= CacheCapacity && !_cache.ContainsKey((name, type)))
            {
                // Full: make room by dropping the entry that would expire first (an expired one, if any).
                (string, DnsRecordType) victim = default;
                long earliest = long.MaxValue;
                foreach (var (key, entry) in _cache)
                {
                    if (entry.ExpiresAtMs < earliest)
                    {
                        earliest = entry.ExpiresAtMs;
                        victim = key;
                    }
                }
                _cache.Remove(victim);
            }
            _cache[(name, type)] = new CacheEntry(addresses, expiresAt);
        }
    }

    private readonly record struct CacheEntry(IPAddress[] Addresses, long ExpiresAtMs);
}
