namespace WgSharp.Tests;

/// <summary>
/// The test tiers. A class that needs root (network namespaces, TUN, setpriv, nftables), or a system program the
/// tests install (wireguard-go, wg, systemd, gdb, AFL++) carries <c>[Trait(TestTiers.Name, TestTiers.Root)]</c>;
/// everything else runs as an ordinary user anywhere:
/// <c>dotnet test --filter "Tier!=Root"</c> (the user tier), <c>sudo ./test.sh</c> (everything),
/// <c>sudo ./test.sh --filter "Tier=Root"</c> (the root tier only).
/// </summary>
public static class TestTiers
{
    /// <summary>The trait's name.</summary>
    public const string Name = "Tier";

    /// <summary>The trait's value for tests that need root or the programs test.sh installs.</summary>
    public const string Root = "Root";

    /// <summary>
    /// Called by the shared helpers that need root (namespaces, TUN, daemons, setpriv): outside root it fails the
    /// test with what to do, so a new test that forgot the trait fails loudly in the user tier instead of with a
    /// confusing EPERM, and the tiers stay true as tests are added.
    /// </summary>
    public static void RequireRoot(string what) => RequireRoot(what, Environment.IsPrivilegedProcess);

    internal static void RequireRoot(string what, bool privileged)
    {
        if (!privileged)
            throw new InvalidOperationException(
                $"{what} needs root: this test belongs to the Root tier: add [Trait(TestTiers.Name, TestTiers.Root)] to its class " +
                "(the user tier, dotnet test --filter \"Tier!=Root\", runs without root)");
    }
}
