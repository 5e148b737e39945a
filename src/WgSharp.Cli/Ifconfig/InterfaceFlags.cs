namespace WgSharp.Cli.Ifconfig;

/// <summary>OpenBSD's IFF_* interface flags, with their kernel bit values (shown as flags=HEX&lt;NAMES&gt;).</summary>
[Flags]
internal enum InterfaceFlags
{
    None = 0,
    Up = 0x1,
    Broadcast = 0x2,
    Debug = 0x4,
    Loopback = 0x8,
    PointToPoint = 0x10,
    StaticArp = 0x20,
    Running = 0x40,
    NoArp = 0x80,
    Promisc = 0x100,
    AllMulti = 0x200,
    OActive = 0x400,
    Simplex = 0x800,
    Link0 = 0x1000,
    Link1 = 0x2000,
    Link2 = 0x4000,
    Multicast = 0x8000,
}
