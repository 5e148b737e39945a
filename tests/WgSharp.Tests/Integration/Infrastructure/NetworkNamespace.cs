using WgSharp.Linux;

namespace WgSharp.Tests.Integration.Infrastructure;

/// <summary>A throw-away network namespace with a unique "wgsn-" name and loopback up; Dispose deletes it.</summary>
internal sealed class NetworkNamespace : IDisposable
{
    private bool _disposed;

    private NetworkNamespace(string name) => Name = name;

    public string Name { get; }

    public static NetworkNamespace Create()
    {
        TestTiers.RequireRoot("a network namespace");
        TestNames.SweepStale();
        var name = TestNames.NewNamespace();
        NetNs.Create(name);
        return new NetworkNamespace(name);
    }

    /// <summary>Wraps an existing namespace (Dispose will delete it).</summary>
    internal static NetworkNamespace Adopt(string name) =>
        NetNs.Exists(name) ? new NetworkNamespace(name) : throw new ArgumentException($"no namespace {name}", nameof(name));

    /// <summary>Runs a program inside the namespace (`ip netns exec`), with a timeout.</summary>
    public CommandResult Exec(string program, IEnumerable<string> arguments, TimeSpan? timeout = null, string? standardInput = null) =>
        CommandRunner.Run("ip", new[] { "netns", "exec", Name, program }.Concat(arguments), timeout, standardInput);

    public CommandResult Exec(string program, params string[] arguments) => Exec(program, arguments, null);

    /// <summary>Runs `ip -n NAME ARGS...` and throws if it fails.</summary>
    public CommandResult Ip(params string[] arguments) => IpCommand.Run(Name, arguments).EnsureSuccess();

    /// <summary>Runs code on a thread inside this namespace (sockets created there stay in it).</summary>
    public T Run<T>(Func<T> action) => NetNs.Run(Name, action);

    /// <summary>
    /// Connects two namespaces with a veth pair, both ends up, with the given addresses
    /// (prefix notation, e.g. "192.0.2.1/24"; IPv6 ones are added with nodad so they work at once).
    /// </summary>
    public static VethLink ConnectVeth(NetworkNamespace a, NetworkNamespace b, string[] addressesA, string[] addressesB, int mtu = 1500)
    {
        var nameA = TestNames.NewInterface();
        var nameB = TestNames.NewInterface();
        a.Ip("link", "add", nameA, "mtu", mtu.ToString(), "type", "veth", "peer", "name", nameB, "netns", b.Name, "mtu", mtu.ToString());
        foreach (var address in addressesA)
            NetNs.AddAddress(a.Name, nameA, address);
        foreach (var address in addressesB)
            NetNs.AddAddress(b.Name, nameB, address);
        NetNs.SetLinkUp(a.Name, nameA, true);
        NetNs.SetLinkUp(b.Name, nameB, true);
        return new VethLink(nameA, nameB);
    }

    public void Dispose()
    {
        if (_disposed)
            return;
        _disposed = true;
        NetNs.Delete(Name);
    }

    public override string ToString() => Name;
}

/// <summary>The two interface names of a veth pair (each in its own namespace).</summary>
internal sealed record VethLink(string InterfaceA, string InterfaceB);
