using System.Net;
using WgSharp.Tests.Netstack;

namespace WgSharp.Tests.Netstack.Api;

/// <summary>Two stacks back to back (<see cref="NetstackPair"/>) seen through the public API: A and B are their networks.</summary>
internal sealed class ApiPair : IDisposable
{
    public static readonly IPAddress A4 = NetstackPair.AddressA4.BaseAddress, B4 = NetstackPair.AddressB4.BaseAddress;
    public static readonly IPAddress A6 = NetstackPair.AddressA6.BaseAddress, B6 = NetstackPair.AddressB6.BaseAddress;

    public ApiPair(NetstackPair.PacketFilter? filter = null, IReadOnlyList<IPAddress>? dnsServersOfA = null)
    {
        Stacks = new NetstackPair(filter: filter, dnsServersOfA: dnsServersOfA);
        A = new WireGuardNetwork(Stacks.A);
        B = new WireGuardNetwork(Stacks.B);
    }

    public NetstackPair Stacks { get; }
    public WireGuardNetwork A { get; }
    public WireGuardNetwork B { get; }

    /// <summary>Generous: only a broken stack waits this long, and then the test fails instead of hanging.</summary>
    public static CancellationToken Deadline() => new CancellationTokenSource(TimeSpan.FromSeconds(30)).Token;

    public void Dispose() => Stacks.Dispose();
}
