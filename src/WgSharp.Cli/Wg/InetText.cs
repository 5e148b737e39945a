using System.Globalization;
using System.Net;
using System.Net.NetworkInformation;
using System.Net.Sockets;
using System.Text;

namespace WgSharp.Cli.Wg;

/// <summary>
/// Addresses and endpoints as wg(8) prints them: glibc's inet_ntop/getnameinfo text, which differs
/// from Go's (wireguard-go's UAPI) and .NET's for IPv4-compatible IPv6 addresses (::1.2.3.4).
/// </summary>
internal static class InetText
{
    public static string FormatAddress(IPAddress address)
    {
        var sb = new StringBuilder(46);
        AppendAddress(sb, address);
        return sb.ToString();
    }

    /// <summary>a.b.c.d:port, or [v6]:port (with %scope when the address has one), as getnameinfo makes it.</summary>
    public static string FormatEndpoint(IPEndPoint endpoint)
    {
        var sb = new StringBuilder(56);
        bool v6 = endpoint.AddressFamily == AddressFamily.InterNetworkV6;
        if (v6) sb.Append('[');
        AppendAddress(sb, endpoint.Address);
        if (v6 && endpoint.Address.ScopeId != 0) sb.Append('%').Append(ScopeText(endpoint.Address));
        if (v6) sb.Append(']');
        sb.Append(':').Append(endpoint.Port.ToString(CultureInfo.InvariantCulture));
        return sb.ToString();
    }

    /// <summary>As getnameinfo: the interface name for link-local addresses when it exists, else the number.</summary>
    private static string ScopeText(IPAddress address)
    {
        bool linkLocal = address.IsIPv6LinkLocal || (address.IsIPv6Multicast && (address.GetAddressBytes()[1] & 0x0f) == 2);
        if (linkLocal)
        {
            try
            {
                foreach (var nic in NetworkInterface.GetAllNetworkInterfaces())
                    if (nic.Supports(NetworkInterfaceComponent.IPv6) && nic.GetIPProperties().GetIPv6Properties().Index == address.ScopeId)
                        return nic.Name;
            }
            catch (NetworkInformationException) { }
        }
        return address.ScopeId.ToString(CultureInfo.InvariantCulture);
    }

    private static void AppendAddress(StringBuilder sb, IPAddress address)
    {
        Span<byte> b = stackalloc byte[16];
        if (!address.TryWriteBytes(b, out int length))
            throw new ArgumentException("address does not fit 16 bytes", nameof(address));
        if (length == 4) { AppendIPv4(sb, b[..4]); return; }
        AppendIPv6(sb, b);
    }

    private static void AppendIPv4(StringBuilder sb, ReadOnlySpan<byte> b) =>
        sb.Append(b[0]).Append('.').Append(b[1]).Append('.').Append(b[2]).Append('.').Append(b[3]);

    /// <summary>
    /// inet_ntop's rules: the first longest run (two or more) of zero groups becomes "::", and an
    /// address whose first six groups are zero, or five zero groups then ffff, ends in a dotted quad.
    /// </summary>
    private static void AppendIPv6(StringBuilder sb, ReadOnlySpan<byte> b)
    {
        Span<int> words = stackalloc int[8];
        for (int i = 0; i < 8; i++) words[i] = (b[2 * i] << 8) | b[2 * i + 1];

        int bestBase = -1, bestLength = 0;
        for (int i = 0; i < 8;)
        {
            if (words[i] != 0) { i++; continue; }
            int start = i;
            while (i < 8 && words[i] == 0) i++;
            if (i - start > bestLength) { bestBase = start; bestLength = i - start; }
        }
        if (bestLength < 2) bestBase = -1;

        for (int i = 0; i < 8; i++)
        {
            if (bestBase >= 0 && i >= bestBase && i < bestBase + bestLength)
            {
                if (i == bestBase) sb.Append(':');
                continue;
            }
            if (i != 0) sb.Append(':');
            if (i == 6 && bestBase == 0 && (bestLength == 6 || (bestLength == 5 && words[5] == 0xffff)))
            {
                AppendIPv4(sb, b[12..16]);
                return;
            }
            sb.Append(words[i].ToString("x", CultureInfo.InvariantCulture));
        }
        if (bestBase >= 0 && bestBase + bestLength == 8) sb.Append(':');
    }
}
