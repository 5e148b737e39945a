using System.Net.Sockets;
using WgSharp.Configuration;

namespace WgSharp.Cli.Ifconfig;

/// <summary>
/// Everything one `wgsharp IFNAME args...` invocation asks for, fully validated. The CLI sends
/// <see cref="Update"/> through the control socket (when not empty) and performs the interface
/// actions (create/destroy, addresses, mtu, up/down, rdomain) itself. A command is only ever
/// produced for a completely valid argument list, so a bad word changes nothing.
/// </summary>
internal sealed class IfconfigCommand
{
    public IfconfigCommand(string interfaceName) => InterfaceName = interfaceName;

    public string InterfaceName { get; }

    /// <summary>No arguments (or only "inet"/"inet6"): print the interface status.</summary>
    public bool ShowStatus { get; set; }
    /// <summary>With <see cref="ShowStatus"/>: only show addresses of this family ("ifconfig wg1 inet").</summary>
    public AddressFamily? StatusFamily { get; set; }
    /// <summary>With <see cref="ShowStatus"/>: `wgsharp IF verbose` adds the drop and handshake counters.</summary>
    public bool StatusVerbose { get; set; }

    public bool Create { get; set; }
    public bool Destroy { get; set; }
    /// <summary>true = up, false = down, null = unchanged.</summary>
    public bool? Up { get; set; }
    /// <summary>Interface debug flag (also carried in <see cref="DeviceUpdate.Debug"/>); null = unchanged.</summary>
    public bool? Debug { get; set; }
    /// <summary>Routing domain the interface is attached to; 0 = the default one (-rdomain).</summary>
    public int? RDomain { get; set; }
    public int? Mtu { get; set; }

    /// <summary>Interface addresses to add: host address plus prefix length (host bits are kept).</summary>
    public List<IpPrefix> AddAddresses { get; } = [];
    /// <summary>Interface addresses to remove ("ADDR delete" / "ADDR -alias").</summary>
    public List<IpPrefix> DeleteAddresses { get; } = [];
    /// <summary>
    /// OpenBSD replaces the interface's first inet address when one is set without "alias";
    /// true means: before adding the inet address, remove the first existing inet address.
    /// (inet6 addresses are always added.)
    /// </summary>
    public bool ReplacePrimaryInetAddress { get; set; }
    /// <summary>Address families whose addresses are all removed (-inet, -inet6).</summary>
    public List<AddressFamily> RemoveAllAddressesOf { get; } = [];

    /// <summary>The WireGuard part of the command, for the control socket.</summary>
    public DeviceUpdate Update { get; } = new();

    public bool HasDeviceUpdate => !Update.IsEmpty;

    /// <summary>What the command will do differently from what was asked (a description cut to size), one line each, to tell the user.</summary>
    public List<string> Notices { get; } = [];
}
