using System.Runtime.Versioning;
using System.Net;
using System.Net.Sockets;

namespace WgSharp.Linux;

/// <summary>
/// Resolves a host name as a program started with `ip netns exec NS` would: NS's network (its DNS servers are
/// reached from there) and NS's /etc/netns/NS/hosts and resolv.conf in place of /etc's. Those files are bind
/// mounts in a mount namespace of `ip netns exec`'s making, and a multithreaded process cannot enter another
/// mount namespace (setns(2) with CLONE_NEWNS fails with EINVAL), so a thread of ours that only entered NS's
/// network would mix NS's network with our /etc. Hence a short-lived `ip netns exec NS getent ahosts HOST`:
/// glibc's getaddrinfo, as every other program in NS sees it. Without a namespace the lookup runs in-process.
/// </summary>
[SupportedOSPlatform("linux")]
internal static class NamespaceHostResolver
{
    /// <summary>Longer than glibc's default DNS retries (5 s per server, 2 attempts) so a slow server still answers.</summary>
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    /// <summary>The addresses of <paramref name="host"/> where <paramref name="device"/>'s UDP socket lives: in its
    /// wgrtable's namespace, or in this process's namespace for routing table 0.</summary>
    public static IPAddress[] ResolveFor(WgSharp.Device.WireGuardDevice device, string host) =>
        Resolve(device.RTable == 0 ? null : LinuxDatagramTransportFactory.NamespaceOf(device.RTable), host);

    /// <summary>The addresses of <paramref name="host"/> in <paramref name="netns"/> (null: this process's namespace).</summary>
    /// <exception cref="SocketException">The name does not resolve there (or the lookup could not run).</exception>
    public static IPAddress[] Resolve(string? netns, string host)
    {
        if (netns is null) return Dns.GetHostAddresses(host);
        // "--": a name is never taken for an option of getent.
        var result = CommandRunner.Run(SystemPrograms.Path("ip"), ["netns", "exec", netns, "getent", "ahosts", "--", host], Timeout);
        if (result.TimedOut) throw new SocketException((int)SocketError.TimedOut);
        if (!result.Succeeded) throw new SocketException((int)SocketError.HostNotFound); // getent: 2 for "not found"
        return Parse(result.StandardOutput);
    }

    /// <summary>getent ahosts prints "ADDRESS SOCKTYPE [NAME]" once per address and socket type, in getaddrinfo's order.</summary>
    internal static IPAddress[] Parse(string output)
    {
        var addresses = new List<IPAddress>();
        foreach (var line in output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            int end = line.IndexOfAny([' ', '\t']);
            if (IPAddress.TryParse(end < 0 ? line : line[..end], out var address) && !addresses.Contains(address)) addresses.Add(address);
        }
        return [.. addresses];
    }
}
