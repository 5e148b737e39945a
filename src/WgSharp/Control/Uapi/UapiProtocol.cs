using System.Globalization;
using WgSharp.Configuration;

namespace WgSharp.Control.Uapi;

/// <summary>
/// Fixed strings and conventions of the cross-platform userspace API
/// (https://www.wireguard.com/xplatform/), as wireguard-go and wg(8) use them.
/// </summary>
internal static class UapiProtocol
{
    /// <summary>Where wg(8) looks for userspace interfaces: DIR/IFNAME.sock.</summary>
    public const string DefaultSocketDirectory = "/var/run/wireguard";

    public const string SocketSuffix = ".sock";

    public const string GetOperation = "get=1";
    public const string SetOperation = "set=1";

    /// <summary>
    /// wgsharp extension: a get whose reply also carries keys wg(8) never sees (peer descriptions,
    /// debug, rtable). Plain `get=1` stays byte-for-byte what wireguard-go sends, because some
    /// readers (wgctrl-go) reject values containing '=' and descriptions are free text. wireguard-go
    /// answers an unknown operation by closing the connection, so a client can tell it is not wgsharp.
    /// </summary>
    public const string ExtendedGetOperation = "get=wgsharp";
    /// <summary>wgsharp extension keys (`get=wgsharp` only): `count_NAME=N` for each counter, the session keys' age.</summary>
    public const string CounterKeyPrefix = "count_";
    public const string KeypairAgeKey = "keypair_age_msec";
    /// <summary>wgsharp extension key (set, and `get=wgsharp`): the host name an endpoint follows, HOST:PORT.</summary>
    public const string EndpointHostKey = "endpoint_host";

    /// <summary>
    /// wireguard-go reports failures as a negative errno ("errno=-22"); wg(8) reads the number with
    /// fscanf("errno=%d") and treats a negative result as failure, so the sign is essential.
    /// </summary>
    public static string FormatErrnoLine(int errno) =>
        "errno=" + (errno == 0 ? "0" : (-Math.Abs(errno)).ToString(CultureInfo.InvariantCulture)) + "\n\n";

    /// <summary>The socket path for an interface, refusing names wg(8) would refuse (empty, containing '/').</summary>
    public static string SocketPathFor(string interfaceName, string directory = DefaultSocketDirectory)
    {
        if (!InterfaceName.IsValid(interfaceName))
            throw new ArgumentException($"invalid interface name '{interfaceName}'", nameof(interfaceName));
        return Path.Combine(directory, interfaceName + SocketSuffix);
    }
}
