using System.Reflection.Metadata;
using System.Reflection.PortableExecutable;
using WgSharp.Linux;

namespace WgSharp.Tests.Linux.Netlink;

/// <summary>
/// Issue 22 item 4: the library makes namespaces, links, addresses and routes in-process (netlink, setns, unshare),
/// so nothing in WgSharp.dll can start a child process: it references neither Process nor ProcessStartInfo.
/// </summary>
public sealed class LibraryStartsNoProcessTests
{
    [Fact]
    public void TheLibraryReferencesNoProcessType()
    {
        string path = typeof(NetNs).Assembly.Location;
        using var stream = File.OpenRead(path);
        using var pe = new PEReader(stream);
        var metadata = pe.GetMetadataReader();
        var spawning = metadata.TypeReferences
            .Select(handle => metadata.GetTypeReference(handle))
            .Select(type => metadata.GetString(type.Namespace) + "." + metadata.GetString(type.Name))
            .Where(name => name is "System.Diagnostics.Process" or "System.Diagnostics.ProcessStartInfo")
            .ToList();
        Assert.True(spawning.Count == 0, $"{Path.GetFileName(path)} references {string.Join(", ", spawning)}");
    }
}
