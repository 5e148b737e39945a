using WgSharp.Tests.Integration.Infrastructure;

namespace WgSharp.Tests.Device;

/// <summary>Namespaces A and B joined by a veth pair with IPv4 and IPv6 outer addresses.</summary>
internal sealed class TwoNamespaces : IDisposable
{
    public const string OuterA4 = "192.0.2.1", OuterB4 = "192.0.2.2";
    public const string OuterA6 = "2001:db8:1::1", OuterB6 = "2001:db8:1::2";
    public const string InnerA4 = "10.200.0.1", InnerB4 = "10.200.0.2";
    public const string InnerA6 = "fd00:200::1", InnerB6 = "fd00:200::2";

    public TwoNamespaces()
    {
        A = NetworkNamespace.Create();
        B = NetworkNamespace.Create();
        Link = NetworkNamespace.ConnectVeth(A, B, [OuterA4 + "/24", OuterA6 + "/64"], [OuterB4 + "/24", OuterB6 + "/64"]);
    }

    public NetworkNamespace A { get; }
    public NetworkNamespace B { get; }
    public VethLink Link { get; }

    public static string Endpoint(bool ipv6, string address4, string address6, ushort port) =>
        ipv6 ? $"[{address6}]:{port}" : $"{address4}:{port}";

    public void Dispose()
    {
        A.Dispose();
        B.Dispose();
    }
}
