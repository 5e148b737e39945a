using System.Runtime.Versioning;
using System.Globalization;
using WgSharp.Device.IO;

namespace WgSharp.Linux;

/// <summary>
/// Opens UDP transports on Linux. A routing table (OpenBSD's wgrtable) is a named network namespace
/// "rdomainN", created when first needed; routing table 0 is the base namespace (null: the caller's own).
/// <paramref name="offloads"/> false opens every transport without UDP GSO and GRO (see <see cref="UdpTransport.Offloads"/>);
/// <paramref name="gsoSegments"/> (1-64) is the most datagrams one GSO send carries (<see cref="UdpTransport.MaxSegments"/>).
/// </summary>
[SupportedOSPlatform("linux")]
internal sealed class LinuxDatagramTransportFactory(string? baseNamespace = null, bool offloads = true, int gsoSegments = UdpTransport.DefaultMaxSegments) : IDatagramTransportFactory
{
    public const string RoutingDomainPrefix = "rdomain";

    /// <summary>The namespace that stands for routing domain <paramref name="rtable"/> (1..255).</summary>
    public static string NamespaceOf(int rtable) => RoutingDomainPrefix + rtable.ToString(CultureInfo.InvariantCulture);

    public IDatagramTransport Open(TransportSettings settings)
    {
        string? netns = settings.RTable == 0 ? baseNamespace : NamespaceOf(settings.RTable);
        bool created = false;
        UdpTransport? sockets = null;
        try
        {
            if (settings.RTable != 0 && !NetNs.Exists(netns!))
            {
                NetNs.Create(netns!);
                created = true;
            }
            sockets = new UdpTransport(netns) { Offloads = offloads, MaxSegments = gsoSegments };
            sockets.Bind(settings.Port);
            if (settings.FwMark != 0) sockets.SetFwMark(settings.FwMark);
            return new LinuxDatagramTransport(sockets);
        }
        catch
        {
            sockets?.Dispose();
            if (created)
            {
                try { NetNs.Delete(netns!); }
                catch (Exception) { } // the original failure is what the caller must hear about
            }
            throw;
        }
    }
}
