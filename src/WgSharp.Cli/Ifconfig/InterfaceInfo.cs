using WgSharp.Configuration;

namespace WgSharp.Cli.Ifconfig;

/// <summary>
/// The non-WireGuard facts about an interface that ifconfig status shows; gathered by the CLI
/// (from the kernel / `ip`) and passed in so formatting stays pure.
/// </summary>
internal sealed record InterfaceInfo
{
    public required string Name { get; init; }
    public InterfaceFlags Flags { get; init; } = WgFlags(up: false, debug: false);
    public int Mtu { get; init; } = 1420;
    public int Index { get; init; }
    /// <summary>Routing domain; shown only when not 0, as OpenBSD does.</summary>
    public int RDomain { get; init; }
    public int Priority { get; init; }
    public int LlPrio { get; init; } = 3;
    public string? Description { get; init; }
    public IReadOnlyList<string> Groups { get; init; } = ["wg"];
    /// <summary>Addresses in the order the kernel lists them: host address plus prefix length.</summary>
    public IReadOnlyList<IpPrefix> Addresses { get; init; } = [];

    /// <summary>
    /// The flags a wg(4) interface carries: BROADCAST, NOARP and MULTICAST always; UP and RUNNING
    /// while up (flags=80c3&lt;UP,BROADCAST,RUNNING,NOARP,MULTICAST&gt;); DEBUG with "debug".
    /// </summary>
    public static InterfaceFlags WgFlags(bool up, bool debug)
    {
        var flags = InterfaceFlags.Broadcast | InterfaceFlags.NoArp | InterfaceFlags.Multicast;
        if (up) flags |= InterfaceFlags.Up | InterfaceFlags.Running;
        if (debug) flags |= InterfaceFlags.Debug;
        return flags;
    }
}
