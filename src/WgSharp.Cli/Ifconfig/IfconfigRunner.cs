using Microsoft.Extensions.Logging;
using System.Globalization;
using System.Net.Sockets;
using WgSharp.Cli.Daemon;
using WgSharp.Configuration;
using WgSharp.Control.Uapi;
using WgSharp.Linux;

namespace WgSharp.Cli.Ifconfig;

/// <summary>
/// `wgsharp IFNAME [create|destroy] [options...]`: the OpenBSD ifconfig(8) dialect. The words are
/// parsed completely first (a bad word changes nothing); then the interface is created, the
/// WireGuard part is sent to the daemon through its control socket, and the link itself (rdomain,
/// mtu, addresses, up/down) is set with ip(8) in the namespace the link lives in.
/// </summary>
internal static class IfconfigRunner
{
    public static int Run(string interfaceName, string[] args)
    {
        if (!IfconfigParser.TryParse(interfaceName, args, out var command, out var error, HostLookup.FirstAddress))
        {
            Console.Error.WriteLine(error.FullMessage);
            return 1;
        }
        return Execute(command);
    }

    /// <summary>Carries out an already parsed command (netstart parses whole files first). 0 on success.</summary>
    public static int Execute(IfconfigCommand command)
    {
        string name = command.InterfaceName;
        if (!InterfaceName.IsValid(name)) return Fail($"{name}: bad interface name");
        if (!Privileges.CanManageInterfaces()) return Fail($"{name}: {Privileges.Needed}");
        // OpenBSD: `ifconfig wg` names the interface group, every wg interface (one named wg included).
        if (command.ShowStatus && name == InterfaceGroup) return ShowAll(command.StatusFamily, command.StatusVerbose);
        try
        {
            var state = InterfaceLifecycle.StateOf(name);
            if (state == UapiSocketState.AccessDenied) return Fail($"{name}: {Privileges.Needed}");
            if (command.ShowStatus)
                return state == UapiSocketState.Serving ? ShowStatus(name, command.StatusFamily, command.StatusVerbose) : Fail($"{name}: no such interface");
            if (command.Create)
            {
                // As on OpenBSD, where SIOCIFCREATE fails first and the other words are not applied.
                if (state == UapiSocketState.Serving) return Fail($"{name}: SIOCIFCREATE: File exists");
                int created = InterfaceLifecycle.Create(name);
                if (created != 0) return created;
                int configured = Configure(command);
                // A create that fails leaves nothing behind: no interface, no daemon.
                if (configured != 0) InterfaceLifecycle.Destroy(name, out _);
                return configured;
            }
            // Destroy clears a dead daemon's remains; anything else needs a live interface.
            if (state == UapiSocketState.Serving || (state == UapiSocketState.Stale && command.Destroy)) return Configure(command);
            return Fail($"{name}: no such interface");
        }
        catch (IOException e) { return Fail($"{name}: {e.Message}"); }
        catch (TimeoutException e) { return Fail($"{name}: {e.Message}"); }
    }

    /// <summary>The interface group `wgsharp wg` shows, as OpenBSD's `ifconfig wg`.</summary>
    public const string InterfaceGroup = "wg";

    /// <summary>`wgsharp -a` and `wgsharp wg`: the status of every running interface, in name order.</summary>
    public static int ShowAll(AddressFamily? family = null, bool verbose = false)
    {
        if (!Privileges.CanManageInterfaces()) return Fail(Privileges.Needed);
        foreach (string name in new Wg.WgDevices().List().Order(StringComparer.Ordinal))
        {
            // One that went away meanwhile is simply not listed; one whose link cannot be reached is named on stderr.
            try
            {
                if (InterfaceLocator.TryFind(name, out _)) ShowStatus(name, family, verbose);
                else if (InterfaceLifecycle.IsServing(name)) Console.Error.WriteLine($"wgsharp: {InterfaceLocator.NotFoundReason(name)}");
            }
            catch (Exception e) when (e is IOException or TimeoutException or UapiProtocolException) { }
        }
        return 0;
    }

    /// <summary>Everything after the interface exists: destroy, the device change, the link changes.</summary>
    private static int Configure(IfconfigCommand command)
    {
        string name = command.InterfaceName;
        try
        {
            if (command.Destroy)
                return InterfaceLifecycle.Destroy(name, out var destroyError) ? 0 : Fail(destroyError!);

            var notices = new List<string>(command.Notices);
            CheckLinkChanges(command, notices); // before anything changes: a refused link change must not leave a half-applied command
            // The device change first: it is the step most likely to fail at run time (a port in
            // use), and the daemon applies it atomically.
            if (command.HasDeviceUpdate)
            {
                // wgrtable N moves the UDP socket into rdomainN, which the daemon would create; made
                // here, it is recorded as wgsharp's and removed again once unused.
                if (command.Update.RTable is > 0 and var rtable) RDomains.Create(rtable);
                var client = UapiClient.ForInterface(name);
                NoteRemovalsOfStrangers(client, command.Update, notices);
                var result = client.Set(command.Update);
                if (!result.IsOk) return Fail($"{name}: {result.Message ?? Errno.Describe(result.Errno)}");
            }
            var changes = new List<string>();
            try { ApplyLinkChanges(command, changes); }
            finally { LogLinkChanges(name, changes); } // what did change, even when a later step failed
            foreach (string notice in notices) Console.Error.WriteLine($"wgsharp: {name}: {notice}");
            return 0;
        }
        catch (LinkActionException e) { return Fail(e.Message); }
        catch (IOException e) { return Fail($"{name}: {e.Message}"); }
        catch (TimeoutException e) { return Fail($"{name}: {e.Message}"); }
    }

    private static int ShowStatus(string name, AddressFamily? family, bool verbose)
    {
        if (!InterfaceLocator.TryFind(name, out var netns))
            return Fail(InterfaceLocator.NotFoundReason(name));
        var link = LinkState.Read(name, netns);
        var client = UapiClient.ForInterface(name);
        DeviceStatus device;
        // A wireguard-go daemon does not know the wgsharp extension; show what plain get=1 gives.
        try { device = client.Get(extensions: true); }
        catch (UapiProtocolException) { device = client.Get(); }
        Console.Out.Write(StatusFormatter.Format(link.ToInterfaceInfo(device.Debug), device, DateTimeOffset.UtcNow, onlyFamily: family, verbose: verbose));
        return 0;
    }

    private static bool TouchesLink(IfconfigCommand command) =>
        command.RDomain is not null || command.Mtu is not null || command.Up is not null ||
        command.AddAddresses.Count > 0 || command.DeleteAddresses.Count > 0 || command.RemoveAllAddressesOf.Count > 0;

    /// <summary>
    /// Refuses, before anything is applied, what would fail or be silently undone: deleting an address
    /// the interface lacks, and an MTU below 1280 together with IPv6 addresses (Linux drops them all).
    /// </summary>
    private static void CheckLinkChanges(IfconfigCommand command, List<string> notices)
    {
        string name = command.InterfaceName;
        if (!TouchesLink(command)) return;
        if (!InterfaceLocator.TryFind(name, out var netns))
            throw new LinkActionException(InterfaceLocator.NotFoundReason(name));
        var link = LinkState.Read(name, netns);
        // Moving a link to another namespace drops its addresses.
        bool moves = command.RDomain is { } rdomain && (rdomain == 0 ? null : RDomains.NamespaceOf(rdomain)) != netns;
        if (!InterfaceAddressPlan.TryPlan(moves ? [] : link.Addresses, command, out var addresses, out var error))
            throw new LinkActionException($"{name}: {error}");
        if (InterfaceAddressPlan.CheckMtu(command.Mtu ?? link.Mtu, addresses, mtuChanges: command.Mtu is not null) is { } mtuError)
            throw new LinkActionException($"{name}: {mtuError}");
        if (command.Mtu is { } mtu && InterfaceAddressPlan.MtuNotice(mtu, link.Addresses) is { } notice) notices.Add(notice);
    }

    /// <summary>
    /// `-wgpeer KEY` of a key that is no peer removes nothing, as on OpenBSD, but says so: a typo in a key must not
    /// pass for a removal. The key is named as the logs name peers (its first and last characters), never whole.
    /// </summary>
    private static void NoteRemovalsOfStrangers(UapiClient client, DeviceUpdate update, List<string> notices)
    {
        if (!update.Peers.Any(p => p.Remove)) return;
        DeviceStatus status;
        try { status = client.Get(); }
        catch (UapiProtocolException) { return; } // an unreadable reply: the set itself will tell, the notice is a courtesy
        try
        {
            foreach (var removal in update.Peers.Where(p => p.Remove))
                if (!status.Peers.Any(p => p.PublicKey == removal.PublicKey))
                    notices.Add($"-wgpeer {Device.Peer.FormatLogName(removal.PublicKey)}: not a peer of this interface, nothing removed");
        }
        finally
        {
            status.ClearSecrets();
        }
    }

    /// <summary>Logs the link changes the CLI made itself: the daemon never sees them, so its log alone would not tell.</summary>
    private static void LogLinkChanges(string name, List<string> changes)
    {
        if (changes.Count == 0) return;
        using var factory = Logging.CreateChangeLogFactory(name);
        var logger = factory.CreateLogger("wgsharp");
        foreach (string change in changes) logger.LogInformation("{Interface}: {Change}", name, change);
    }

    /// <summary>Makes the link changes; <paramref name="changes"/> gets one line per change made, for the log.</summary>
    private static void ApplyLinkChanges(IfconfigCommand command, List<string> changes)
    {
        string name = command.InterfaceName;
        if (!TouchesLink(command)) return;
        if (!InterfaceLocator.TryFind(name, out var netns))
            throw new LinkActionException(InterfaceLocator.NotFoundReason(name));

        if (command.RDomain is { } rdomain)
        {
            var moved = MoveToRDomain(name, netns, rdomain);
            if (moved != netns) changes.Add($"moved to rdomain {rdomain}");
            netns = moved;
        }
        // An MTU that allows IPv6 goes first, so inet6 addresses can be added; one below 1280 goes
        // last, once the inet6 addresses it would make the kernel drop are gone (CheckLinkChanges).
        bool mtuFirst = command.Mtu >= InterfaceAddressPlan.MinIPv6Mtu;
        if (mtuFirst) SetMtu(netns, name, command.Mtu!.Value, changes);
        ApplyAddresses(command, netns, changes);
        if (!mtuFirst && command.Mtu is { } mtu) SetMtu(netns, name, mtu, changes);
        if (command.Up is { } up)
        {
            Netlink(name, "SIOCSIFFLAGS", () => NetNs.SetLinkUp(netns, name, up));
            changes.Add(up ? "link up" : "link down");
        }
    }

    private static void SetMtu(string? netns, string name, int mtu, List<string> changes)
    {
        Netlink(name, "SIOCSIFMTU", () => NetNs.SetMtu(netns, name, mtu));
        changes.Add($"mtu set to {mtu.ToString(CultureInfo.InvariantCulture)}");
    }

    /// <summary>Moves the link into namespace rdomainN (created with its loopback up if missing); returns the new namespace.</summary>
    private static string? MoveToRDomain(string name, string? current, int rdomain)
    {
        string? target = rdomain == 0 ? null : RDomains.NamespaceOf(rdomain);
        if (target == current) return current;
        if (target is null)
        {
            // Back to the namespace wgsharp runs in, named by our own process id.
            Ip(current, "SIOCSIFRDOMAIN", "link", "set", "dev", name, "netns", Environment.ProcessId.ToString(CultureInfo.InvariantCulture));
            return null;
        }
        try { RDomains.Create(rdomain); }
        catch (InvalidOperationException e) { throw new LinkActionException($"{name}: rdomain {rdomain}: {e.Message}"); }
        Netlink(name, "SIOCSIFRDOMAIN", () => NetNs.MoveLink(name, target, current));
        return target;
    }

    /// <summary>
    /// Makes the link's addresses exactly what OpenBSD would leave (<see cref="InterfaceAddressPlan"/>):
    /// deletes what must go, then re-reads the kernel's list, because deleting a primary inet address
    /// also deletes the secondaries of its subnet, and adds whatever is missing.
    /// </summary>
    private static void ApplyAddresses(IfconfigCommand command, string? netns, List<string> changes)
    {
        string name = command.InterfaceName;
        if (command.AddAddresses.Count == 0 && command.DeleteAddresses.Count == 0 && command.RemoveAllAddressesOf.Count == 0)
            return;
        var existing = LinkState.Read(name, netns).Addresses;
        if (!InterfaceAddressPlan.TryPlan(existing, command, out var wanted, out var error))
            throw new LinkActionException($"{name}: {error}");
        // Secondaries (listed after their primary) first, so none has vanished with its primary yet.
        foreach (var address in existing.Reverse())
            if (!wanted.Contains(address))
            {
                DeleteAddress(netns, name, address);
                changes.Add($"address {address} removed");
            }

        var remaining = LinkState.Read(name, netns).Addresses;
        foreach (var address in wanted)
        {
            if (remaining.Contains(address)) continue;
            Netlink(name, "SIOCAIFADDR", () => NetNs.AddAddress(netns, name, address.ToString())); // inet6 without DAD, as `nodad`
            changes.Add($"address {address} added");
        }
    }

    private static void DeleteAddress(string? netns, string name, IpPrefix address) =>
        Netlink(name, "SIOCDIFADDR", () => NetNs.DeleteAddress(netns, name, address));

    /// <summary>A link change made in-process (netlink); a refusal becomes a one-line error named after the OpenBSD ioctl.</summary>
    private static void Netlink(string name, string operation, Action change)
    {
        try
        {
            change();
        }
        catch (Exception e) when (e is InvalidOperationException or IOException or ArgumentException)
        {
            throw new LinkActionException($"{name}: {operation}: {e.Message}");
        }
    }

    /// <summary>Runs ip(8) in the namespace; a failure becomes a one-line error named after the OpenBSD ioctl.</summary>
    private static void Ip(string? netns, string operation, params string[] arguments)
    {
        var result = IpCommand.Run(netns, arguments);
        if (!result.Succeeded)
        {
            string detail = result.StandardError.Trim().Replace('\n', ' ');
            string name = arguments.SkipWhile(a => a != "dev").Skip(1).FirstOrDefault() ?? "";
            throw new LinkActionException($"{name}: {operation}: {(detail.Length > 0 ? detail : "ip " + string.Join(' ', arguments) + " failed")}");
        }
    }

    private static int Fail(string message)
    {
        Console.Error.WriteLine($"wgsharp: {message}");
        return 1;
    }

    /// <summary>A link change that ip(8) refused; the message is the one line shown to the user.</summary>
    private sealed class LinkActionException(string message) : Exception(message);
}
