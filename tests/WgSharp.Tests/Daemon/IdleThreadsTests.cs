using WgSharp.Control.Uapi;
using WgSharp.Keys;
using WgSharp.Tests.Integration.Infrastructure;

namespace WgSharp.Tests.Daemon;

/// <summary>
/// What an idle daemon runs (issue 13: at most 10 threads, docs/performance.md says what each is for): serving the
/// control socket starts neither the thread pool, the runtime's timer nor a file watcher, and no handshake worker
/// runs before the first handshake message.
/// </summary>
[Collection(NetnsCollection.Name)]
[Trait(TestTiers.Name, TestTiers.Root)]
public class IdleThreadsTests
{
    [Fact]
    public void AConfiguredIdleDaemonRunsNoThreadPoolTimerWatcherOrHandshakeThread()
    {
        using var ns = NetworkNamespace.Create();
        var name = TestNames.NewInterface();
        var (process, output) = DaemonProcess.Start(ns.Name, ["-f", name]);
        using (process)
        {
            try
            {
                var socket = UapiProtocol.SocketPathFor(name);
                Assert.True(DaemonProcess.WaitUntil(() => UapiSocketProbe.IsServing(socket), TimeSpan.FromSeconds(15)), output.ToString());
                var client = new UapiClient(socket);
                var peer = KeyGenerator.DerivePublicKey(KeyGenerator.GeneratePrivateKey());
                Assert.True(client.Set($"private_key={KeyGenerator.GeneratePrivateKey().ToHex()}\nlisten_port=0\npublic_key={peer.ToHex()}\n" +
                    "allowed_ip=10.233.0.2/32\nendpoint=127.0.0.1:9\n").IsOk);
                for (int i = 0; i < 5; i++) client.Get(); // connections come and go

                var threads = Directory.GetDirectories($"/proc/{process.Id}/task").Select(ThreadName).OfType<string>().ToList();
                var unwanted = threads.Where(t => t.StartsWith(".NET TP", StringComparison.Ordinal) || t is ".NET Timer" or ".NET File Watch"
                    || t.StartsWith("wg-handshake", StringComparison.Ordinal)).ToList();
                Assert.True(unwanted.Count == 0, "threads: " + string.Join(", ", threads));
                Assert.Contains("wg-uapi", threads);
            }
            finally
            {
                process.Kill();
                process.WaitForExit();
            }
        }
    }

    /// <summary>A thread's name, or null when it ended between listing and reading (a UAPI client thread finishing).</summary>
    private static string? ThreadName(string taskDirectory)
    {
        try { return File.ReadAllText(Path.Combine(taskDirectory, "comm")).Trim(); }
        catch (IOException) { return null; } // DirectoryNotFound, FileNotFound: the thread is gone
    }
}
