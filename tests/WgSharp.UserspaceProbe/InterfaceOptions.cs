namespace WgSharp.UserspaceProbe;

/// <summary>The userspace interface the probe runs: one peer that every address is routed to.</summary>
internal static class InterfaceOptions
{
    public static WireGuardInterfaceOptions From(ProbeOptions options)
    {
        var userspace = new UserspaceNetworkOptions { Addresses = options.Addresses, DnsServers = options.DnsServers };
        if (options.TcpBufferSize is { } buffer)
            userspace = userspace with { TcpBufferSize = buffer };
        if (options.InlineCompletions)
            userspace = userspace with { InlineCompletions = true };
        return new WireGuardInterfaceOptions
        {
            Name = "probe",
            Userspace = userspace,
            UsePlatformFastPaths = options.FastPaths,
            Metrics = false,
            Configuration = new InterfaceConfiguration
            {
                PrivateKey = options.PrivateKey,
                Peers =
                [
                    new PeerConfiguration
                    {
                        PublicKey = options.PeerPublicKey,
                        Endpoint = options.PeerEndpoint,
                        AllowedIPs = options.AllowedIps,
                        PersistentKeepalive = options.KeepaliveSeconds > 0 ? TimeSpan.FromSeconds(options.KeepaliveSeconds) : null,
                    },
                ],
            },
        };
    }
}
