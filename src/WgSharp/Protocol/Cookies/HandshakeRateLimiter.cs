using System.Buffers.Binary;
using System.Numerics;
using WgSharp.Crypto;

namespace WgSharp.Protocol.Cookies;

/// <summary>
/// A token bucket per source address for handshake messages that passed mac2 under load (whitepaper
/// §5.3), so one address that answers cookie replies cannot make every initiation cost a Diffie-Hellman.
/// As wireguard-go: 20 messages per second with a burst of 5, IPv6 sources grouped by /64, an entry
/// forgotten after a second of silence. Unlike wireguard-go's map, the table has a fixed size whatever
/// the number of sources: sets of a few entries, chosen by a hash keyed with a random secret (so an
/// attacker cannot aim collisions at a victim's set); a new source takes the stalest entry of its set.
/// Pure (time is passed in), allocation-free, one small lock per set. Thread-safe.
/// </summary>
internal sealed class HandshakeRateLimiter
{
    public const int MessagesPerSecond = 20;
    public const int Burst = 5;
    public static readonly TimeSpan EntryLifetime = TimeSpan.FromSeconds(1);

    private const int Ways = 4;
    private static readonly long Cost = TimeSpan.TicksPerSecond / MessagesPerSecond;
    private static readonly long MaxTokens = Cost * Burst;

    /// <summary>One source: its address (IPv4, or the /64 of IPv6), its tokens (in ticks) and when it was last seen.</summary>
    private struct Entry
    {
        public ulong Source;
        public byte Family; // 0: free, 4 or 6
        public long Tokens;
        public long LastSeen;
    }

    private readonly Entry[] _entries;
    private readonly Lock[] _setLocks;
    private readonly int _setMask;
    private readonly ulong _hashKey0, _hashKey1;

    /// <param name="sets">Number of sets (rounded up to a power of two); the table holds sets × 4 sources.</param>
    public HandshakeRateLimiter(int sets = 1024)
    {
        int count = (int)BitOperations.RoundUpToPowerOf2((uint)Math.Max(1, sets));
        _entries = new Entry[count * Ways];
        _setLocks = new Lock[count];
        for (int i = 0; i < count; i++) _setLocks[i] = new Lock();
        _setMask = count - 1;
        Span<byte> key = stackalloc byte[16];
        SecureRandom.Fill(key);
        _hashKey0 = BinaryPrimitives.ReadUInt64LittleEndian(key);
        _hashKey1 = BinaryPrimitives.ReadUInt64LittleEndian(key[8..]);
    }

    /// <summary>How many sources the table can track at once.</summary>
    public int Capacity => _entries.Length;

    /// <summary>
    /// Takes a token for a message from sourceAddress (4 or 16 bytes of IP address; anything else is
    /// refused). False when this source has used its burst and its rate.
    /// </summary>
    public bool Allow(ReadOnlySpan<byte> sourceAddress, TimeSpan now)
    {
        if (!TryGroup(sourceAddress, out ulong source, out byte family)) return false;
        long ticks = now.Ticks;
        int set = (int)(KeyedHash(source, family) & (uint)_setMask);
        var ways = _entries.AsSpan(set * Ways, Ways);
        lock (_setLocks[set])
        {
            int stalest = 0;
            for (int i = 0; i < Ways; i++)
            {
                ref var e = ref ways[i];
                if (e.Family == family && e.Source == source)
                {
                    // Refilled by the time since it was last seen (a second of silence refills it completely). Workers
                    // read the clock before taking the lock, so a time slightly older than LastSeen is normal: it
                    // refills nothing, and never moves LastSeen back (that would hand out the same time twice).
                    if (ticks > e.LastSeen)
                    {
                        e.Tokens = Math.Min(MaxTokens, e.Tokens + (ticks - e.LastSeen));
                        e.LastSeen = ticks;
                    }
                    if (e.Tokens < Cost) return false;
                    e.Tokens -= Cost;
                    return true;
                }
                if (IsStalerThan(e, ways[stalest])) stalest = i;
            }
            // A new source starts with a full bucket, less this message, in a free or expired entry if there is
            // one, else in place of the source seen longest ago (so the table never grows).
            ways[stalest] = new Entry { Source = source, Family = family, Tokens = MaxTokens - Cost, LastSeen = ticks };
            return true;
        }
    }

    /// <summary>Sources seen within the last second (for tests and diagnostics).</summary>
    public int ActiveSources(TimeSpan now)
    {
        int n = 0;
        for (int set = 0; set <= _setMask; set++)
            lock (_setLocks[set])
                for (int i = set * Ways; i < (set + 1) * Ways; i++)
                    if (_entries[i].Family != 0 && !IsExpired(_entries[i], now.Ticks)) n++;
        return n;
    }

    private static bool IsExpired(in Entry e, long now) => now - e.LastSeen >= EntryLifetime.Ticks;

    private static bool IsStalerThan(in Entry a, in Entry b) => a.Family == 0 || (b.Family != 0 && a.LastSeen < b.LastSeen);

    /// <summary>IPv4 addresses count one by one; IPv6 addresses by their /64 (one host usually owns a whole /64).</summary>
    private static bool TryGroup(ReadOnlySpan<byte> address, out ulong source, out byte family)
    {
        switch (address.Length)
        {
            case 4:
                source = BinaryPrimitives.ReadUInt32BigEndian(address);
                family = 4;
                return true;
            case 16:
                source = BinaryPrimitives.ReadUInt64BigEndian(address);
                family = 6;
                return true;
            default:
                source = 0;
                family = 0;
                return false;
        }
    }

    /// <summary>SipHash-1-3 of one 64-bit word under the table's random key: sets an attacker cannot predict.</summary>
    private ulong KeyedHash(ulong word, byte family)
    {
        ulong v0 = _hashKey0 ^ 0x736f6d6570736575UL, v1 = _hashKey1 ^ 0x646f72616e646f6dUL;
        ulong v2 = _hashKey0 ^ 0x6c7967656e657261UL, v3 = _hashKey1 ^ 0x7465646279746573UL;
        v3 ^= word;
        SipRound(ref v0, ref v1, ref v2, ref v3);
        v0 ^= word;
        ulong last = (9UL << 56) | family;
        v3 ^= last;
        SipRound(ref v0, ref v1, ref v2, ref v3);
        v0 ^= last;
        v2 ^= 0xff;
        SipRound(ref v0, ref v1, ref v2, ref v3);
        SipRound(ref v0, ref v1, ref v2, ref v3);
        SipRound(ref v0, ref v1, ref v2, ref v3);
        return v0 ^ v1 ^ v2 ^ v3;
    }

    private static void SipRound(ref ulong v0, ref ulong v1, ref ulong v2, ref ulong v3)
    {
        v0 += v1; v1 = BitOperations.RotateLeft(v1, 13); v1 ^= v0; v0 = BitOperations.RotateLeft(v0, 32);
        v2 += v3; v3 = BitOperations.RotateLeft(v3, 16); v3 ^= v2;
        v0 += v3; v3 = BitOperations.RotateLeft(v3, 21); v3 ^= v0;
        v2 += v1; v1 = BitOperations.RotateLeft(v1, 17); v1 ^= v2; v2 = BitOperations.RotateLeft(v2, 32);
    }
}
