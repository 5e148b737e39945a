namespace WgSharp.Tests.Integration.Infrastructure;

/// <summary>
/// Tests that create network namespaces, interfaces or wireguard-go processes share this collection so
/// they never run concurrently with each other (they compete for CPU and for global names).
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class NetnsCollection
{
    public const string Name = "netns";
}
