namespace WgSharp.Hosting;

/// <summary>
/// The shape of an interface's configuration section, as the configuration binder fills it: text and numbers only, so
/// binding never fails on a key or address and <see cref="WireGuardConfigurationReader"/> can say which entry is wrong
/// without repeating its value (it may be a private key).
/// </summary>
internal sealed class WireGuardInterfaceSettings
{
    public string? Name { get; set; }
    public string? PrivateKey { get; set; }
    public int ListenPort { get; set; }
    public uint FwMark { get; set; }
    public int? Mtu { get; set; }
    public string? NetworkNamespace { get; set; }
    public bool? BringUp { get; set; }
    public bool ControlSocket { get; set; }
    public string? ControlSocketDirectory { get; set; }
    public bool DebugLog { get; set; }
    public bool? Metrics { get; set; }
    public bool? Offloads { get; set; }
    public bool? UsePlatformFastPaths { get; set; }
    public UserspaceSettings? Userspace { get; set; }
    public List<PeerSettings> Peers { get; set; } = [];
}

/// <summary>The <c>Userspace</c> subsection: present means userspace mode.</summary>
internal sealed class UserspaceSettings
{
    public List<string> Addresses { get; set; } = [];
    public List<string> DnsServers { get; set; } = [];
}

/// <summary>One entry of <c>Peers</c>.</summary>
internal sealed class PeerSettings
{
    public string? PublicKey { get; set; }
    public string? PresharedKey { get; set; }
    public string? Endpoint { get; set; }
    public List<string> AllowedIPs { get; set; } = [];
    public int? PersistentKeepalive { get; set; }
}
