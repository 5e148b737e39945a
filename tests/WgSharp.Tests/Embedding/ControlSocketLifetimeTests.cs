using System.Net;
using WgSharp.Keys;

namespace WgSharp.Tests.Embedding;

/// <summary>The control socket file lives exactly as long as its interface (userspace mode: no root).</summary>
public class ControlSocketLifetimeTests
{
    [Fact]
    public async Task DisposeAsyncRemovesTheControlSocketFile()
    {
        string directory = Directory.CreateTempSubdirectory("wgsharp-sock-").FullName;
        try
        {
            var wg = await WireGuardInterface.StartAsync(new WireGuardInterfaceOptions
            {
                Name = "wgsock0",
                ControlSocket = true,
                ControlSocketDirectory = directory,
                Userspace = new UserspaceNetworkOptions { Addresses = [IPNetwork.Parse("10.64.0.1/32")] },
                Configuration = new InterfaceConfiguration { PrivateKey = KeyGenerator.GeneratePrivateKey() },
            });
            string socket = Path.Combine(directory, "wgsock0.sock");
            Assert.True(File.Exists(socket));

            await wg.DisposeAsync();

            Assert.False(File.Exists(socket));
        }
        finally { Directory.Delete(directory, recursive: true); }
    }
}
