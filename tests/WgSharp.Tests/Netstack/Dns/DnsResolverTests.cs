using System.Net;
using System.Net.Sockets;
using WgSharp.Netstack.Dns;

namespace WgSharp.Tests.Netstack.Dns;

public class DnsResolverTests
{
    private static readonly IPAddress ServerA = IPAddress.Parse("10.64.0.1"), ServerB = IPAddress.Parse("fd00::53");
    private static readonly IPAddress V4 = IPAddress.Parse("192.0.2.10"), V6 = IPAddress.Parse("2001:db8::10");
    // Short, so the timeout tests stay fast; nothing asserts on timing.
    private static readonly TimeSpan AttemptTimeout = TimeSpan.FromMilliseconds(30);

    private readonly FakeDnsTransport _transport = new();
    private long _nowMs = 1_000_000;

    private DnsResolver Resolver(params IPAddress[] servers) => new(_transport, servers, AttemptTimeout, () => _nowMs);

    /// <summary>A server that knows one name: its A and AAAA records with <paramref name="ttl"/>.</summary>
    private static IEnumerable<byte[]> Knows(byte[] query, string name, uint ttl = 300, IPAddress? v4 = null, IPAddress? v6 = null)
    {
        var address = FakeDnsTransport.TypeOf(query) == 1 ? v4 ?? V4 : v6 ?? V6;
        bool isName = QuestionIs(query, name);
        if (!isName) return [DnsTestMessages.AnswerTo(query, DnsAnswer.NameError).ToArray()];
        return [DnsTestMessages.AnswerTo(query, answers: 1).Pointer(12).AddressRecord(address, ttl).ToArray()];
    }

    private static bool QuestionIs(byte[] query, string name)
    {
        int position = DnsMessage.HeaderSize;
        return DnsMessage.TryReadName(query, ref position, out var asked) && asked == name;
    }

    [Fact]
    public async Task BothFamiliesAreAskedAndIPv4ComesFirst()
    {
        _transport.Answer = (_, query) => Knows(query, "example.com");
        var addresses = await Resolver(ServerA).ResolveAsync("Example.COM.", AddressFamily.Unspecified, default);
        Assert.Equal([V4, V6], addresses);
        Assert.Equal([(ushort)1, (ushort)28], _transport.Queries.Select(q => FakeDnsTransport.TypeOf(q.Query)).Order());
        Assert.Equal(0, _transport.OpenChannels);
    }

    [Theory]
    [InlineData(AddressFamily.InterNetwork)]
    [InlineData(AddressFamily.InterNetworkV6)]
    public async Task OneFamilyAsksOnlyForItsRecords(AddressFamily family)
    {
        _transport.Answer = (_, query) => Knows(query, "example.com");
        var addresses = await Resolver(ServerA).ResolveAsync("example.com", family, default);
        Assert.Equal([family == AddressFamily.InterNetwork ? V4 : V6], addresses);
        Assert.Single(_transport.Queries);
    }

    [Fact]
    public async Task NxdomainIsHostNotFoundAndNoOtherServerIsAsked()
    {
        _transport.Answer = (_, query) => Knows(query, "example.com");
        var error = await Assert.ThrowsAsync<SocketException>(() => Resolver(ServerA, ServerB).ResolveAsync("missing.example", AddressFamily.InterNetwork, default));
        Assert.Equal(SocketError.HostNotFound, error.SocketErrorCode);
        Assert.Equal(0, _transport.QueriesTo(ServerB));
    }

    [Fact]
    public async Task ANameWithoutAddressesIsHostNotFound()
    {
        _transport.Answer = (_, query) => [DnsTestMessages.AnswerTo(query).ToArray()]; // NOERROR, no records
        var resolver = Resolver(ServerA);
        var both = await Assert.ThrowsAsync<SocketException>(() => resolver.ResolveAsync("empty.example", AddressFamily.Unspecified, default));
        Assert.Equal(SocketError.HostNotFound, both.SocketErrorCode);
        var one = await Assert.ThrowsAsync<SocketException>(() => resolver.ResolveAsync("empty.example", AddressFamily.InterNetworkV6, default));
        Assert.Equal(SocketError.HostNotFound, one.SocketErrorCode);
    }

    [Fact]
    public async Task SilentServersAreTriedTwiceEachThenTryAgain()
    {
        var error = await Assert.ThrowsAsync<SocketException>(() => Resolver(ServerA, ServerB).ResolveAsync("example.com", AddressFamily.InterNetwork, default));
        Assert.Equal(SocketError.TryAgain, error.SocketErrorCode);
        Assert.Equal(DnsResolver.AttemptsPerServer, _transport.QueriesTo(ServerA));
        Assert.Equal(DnsResolver.AttemptsPerServer, _transport.QueriesTo(ServerB));
        Assert.Equal(0, _transport.OpenChannels);
    }

    [Fact]
    public async Task AServerFailureMovesOnToTheNextServer()
    {
        _transport.Answer = (server, query) => server.Equals(ServerA)
            ? [DnsTestMessages.AnswerTo(query, DnsAnswer.ServerFailure).ToArray()]
            : Knows(query, "example.com");
        var addresses = await Resolver(ServerA, ServerB).ResolveAsync("example.com", AddressFamily.InterNetwork, default);
        Assert.Equal([V4], addresses);
        Assert.Equal(1, _transport.QueriesTo(ServerA));
    }

    [Fact]
    public async Task ServfailEverywhereIsTryAgain()
    {
        _transport.Answer = (_, query) => [DnsTestMessages.AnswerTo(query, DnsAnswer.ServerFailure).ToArray()];
        var error = await Assert.ThrowsAsync<SocketException>(() => Resolver(ServerA).ResolveAsync("example.com", AddressFamily.Unspecified, default));
        Assert.Equal(SocketError.TryAgain, error.SocketErrorCode);
    }

    [Fact]
    public async Task ResponsesWithAnotherIdOrQuestionAreIgnored()
    {
        _transport.Answer = (_, query) =>
        {
            var wrongId = (byte[])query.Clone();
            wrongId[0] ^= 0xff;
            var otherName = new byte[DnsMessage.MaxQuerySize];
            int length = DnsMessage.WriteQuery(otherName, (ushort)((query[0] << 8) | query[1]), "evil.example", DnsRecordType.A);
            return
            [
                DnsTestMessages.AnswerTo(wrongId, answers: 1).Pointer(12).AddressRecord(IPAddress.Parse("6.6.6.1"), 300).ToArray(),
                DnsTestMessages.AnswerTo(otherName.AsSpan(0, length), answers: 1).Pointer(12).AddressRecord(IPAddress.Parse("6.6.6.2"), 300).ToArray(),
                [1, 2, 3], // garbage
                .. Knows(query, "example.com"),
            ];
        };
        var addresses = await Resolver(ServerA).ResolveAsync("example.com", AddressFamily.InterNetwork, default);
        Assert.Equal([V4], addresses);
        Assert.Single(_transport.Queries);
    }

    [Fact]
    public async Task AnswersAreCachedForTheirTtl()
    {
        _transport.Answer = (_, query) => Knows(query, "example.com", ttl: 60);
        var resolver = Resolver(ServerA);
        await resolver.ResolveAsync("example.com", AddressFamily.InterNetwork, default);
        _nowMs += 59_000;
        Assert.Equal([V4], await resolver.ResolveAsync("EXAMPLE.com", AddressFamily.InterNetwork, default));
        Assert.Single(_transport.Queries);

        _nowMs += 1_000;
        await resolver.ResolveAsync("example.com", AddressFamily.InterNetwork, default);
        Assert.Equal(2, _transport.Queries.Count);
    }

    [Fact]
    public async Task TtlIsClampedToAtLeastOneSecondAndAtMostAnHour()
    {
        _transport.Answer = (_, query) => Knows(query, "zero.example", ttl: 0);
        var resolver = Resolver(ServerA);
        await resolver.ResolveAsync("zero.example", AddressFamily.InterNetwork, default);
        await resolver.ResolveAsync("zero.example", AddressFamily.InterNetwork, default);
        Assert.Single(_transport.Queries); // a zero TTL still holds for a second

        _transport.Answer = (_, query) => Knows(query, "long.example", ttl: 86_400);
        await resolver.ResolveAsync("long.example", AddressFamily.InterNetwork, default);
        _nowMs += 3_600_000;
        await resolver.ResolveAsync("long.example", AddressFamily.InterNetwork, default);
        Assert.Equal(3, _transport.Queries.Count);
    }

    [Fact]
    public async Task TheCacheIsBounded()
    {
        _transport.Answer = (_, query) => [DnsTestMessages.AnswerTo(query, answers: 1).Pointer(12).AddressRecord(V4, 300).ToArray()];
        var resolver = Resolver(ServerA);
        for (int i = 0; i < DnsResolver.CacheCapacity + 50; i++)
            await resolver.ResolveAsync($"host{i}.example", AddressFamily.InterNetwork, default);
        Assert.Equal(DnsResolver.CacheCapacity, resolver.CachedCount);
    }

    [Fact]
    public async Task IpLiteralsNeedNoQuery()
    {
        var resolver = Resolver(); // no servers at all
        Assert.Equal([IPAddress.Parse("10.0.0.7")], await resolver.ResolveAsync("10.0.0.7", AddressFamily.Unspecified, default));
        Assert.Equal([IPAddress.Parse("10.0.0.7")], await resolver.ResolveAsync("::ffff:10.0.0.7", AddressFamily.InterNetwork, default));
        Assert.Equal([IPAddress.Parse("fd00::1")], await resolver.ResolveAsync("fd00::1", AddressFamily.InterNetworkV6, default));
        Assert.Empty(_transport.Queries);
    }

    [Fact]
    public async Task NoServersIsNoData()
    {
        var error = await Assert.ThrowsAsync<SocketException>(() => Resolver().ResolveAsync("example.com", AddressFamily.Unspecified, default));
        Assert.Equal(SocketError.NoData, error.SocketErrorCode);
    }

    [Theory]
    [InlineData("")]
    [InlineData("a..b")]
    [InlineData("-")] // a valid DNS name the server does not know
    public async Task OddNamesFailCleanly(string host)
    {
        _transport.Answer = (_, query) => Knows(query, "example.com");
        var error = await Record.ExceptionAsync(() => Resolver(ServerA).ResolveAsync(host, AddressFamily.InterNetwork, default));
        Assert.True(error is ArgumentException or SocketException, error?.ToString());
    }

    [Fact]
    public async Task CancellationIsHonoured()
    {
        using var cancel = new CancellationTokenSource();
        var resolver = new DnsResolver(_transport, [ServerA], TimeSpan.FromMinutes(5), () => _nowMs);
        var resolving = resolver.ResolveAsync("example.com", AddressFamily.Unspecified, cancel.Token);
        cancel.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => resolving);
    }
}
