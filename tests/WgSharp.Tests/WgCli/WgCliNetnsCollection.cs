namespace WgSharp.Tests.WgCli;

/// <summary>
/// The wg CLI tests that create namespaces, interfaces and daemons (names wgsw*, wgsw-*): never run
/// in parallel with each other or with other non-parallel collections.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class WgCliNetnsCollection
{
    public const string Name = "wgcli-netns";
}
