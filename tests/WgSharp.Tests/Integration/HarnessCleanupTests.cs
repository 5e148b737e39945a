using System.Diagnostics;
using WgSharp.Linux;
using WgSharp.Tests.Integration.Infrastructure;

namespace WgSharp.Tests.Integration;

[Collection(NetnsCollection.Name)]
[Trait(TestTiers.Name, TestTiers.Root)]
public class HarnessCleanupTests
{
    [Fact]
    public void SweepRemovesWhatADeadRunLeftBehind()
    {
        var deadPid = ExitedProcessId();
        var (namespaceName, interfaceName) = TestNames.NamesOf(deadPid, 1);
        NetNs.Create(namespaceName);
        using var leftover = WireGuardGoPeer.Start(NetworkNamespace.Adopt(namespaceName), interfaceName);
        try
        {
            using var live = NetworkNamespace.Create(); // ours: must survive

            TestNames.SweepStale(force: true);

            Assert.False(NetNs.Exists(namespaceName));
            Assert.True(NetNs.Exists(live.Name));
            Assert.False(File.Exists(leftover.SocketPath));
            Assert.True(leftover.WaitForExit(TimeSpan.FromSeconds(5)), "stale wireguard-go still running");
        }
        finally
        {
            NetNs.Delete(namespaceName);
        }
    }

    [Fact]
    public void NumberedInterfaceNamesAreDistinctAndInTheFormHostnameFilesTake()
    {
        string first = TestNames.NewNumberedInterface(), second = TestNames.NewNumberedInterface();
        Assert.NotEqual(first, second);
        Assert.True(WgSharp.Cli.Ifconfig.HostnameIfReader.IsConfigurableName(first), first);
        Assert.True(WgSharp.Cli.Ifconfig.HostnameIfReader.IsConfigurableName(second), second);
    }

    private static int ExitedProcessId()
    {
        using var process = Process.Start("true")!;
        process.WaitForExit();
        return process.Id;
    }

}
