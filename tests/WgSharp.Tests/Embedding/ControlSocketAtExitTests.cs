using WgSharp.Keys;
using WgSharp.Tests.Userspace;

namespace WgSharp.Tests.Embedding;

/// <summary>
/// A program that returns from Main without disposing its interface leaves no control socket file behind: the
/// library removes it on ProcessExit (SIGINT/SIGTERM skip ProcessExit; docs/embedding.md shows the handlers for those).
/// Root tier: the program runs as user nobody through setpriv (UnprivilegedProgram), an unprivileged embedding.
/// </summary>
[Trait(TestTiers.Name, TestTiers.Root)]
public class ControlSocketAtExitTests
{
    [Fact]
    public void ReturningFromMainWithoutDisposingRemovesTheControlSocketFile()
    {
        // The home directory is the one nobody may write in; a directory of its own keeps parallel runs apart.
        string directory = Path.GetFullPath(Path.Combine(UnprivilegedProgram.SharedDirectory, "..", "home", $"sock-{Guid.NewGuid():N}"));
        Directory.CreateDirectory(directory);
        File.SetUnixFileMode(directory, (UnixFileMode)0b111_111_111);
        try
        {
            var privateKey = KeyGenerator.GeneratePrivateKey();
            var peer = KeyGenerator.DerivePublicKey(KeyGenerator.GeneratePrivateKey());
            var result = UnprivilegedProgram.Run(UnprivilegedProgram.ProbeDll,
            [
                "--private-key", privateKey.ToBase64(), "--peer-public-key", peer.ToBase64(),
                "--peer-endpoint", "127.0.0.1:9", "--address", "10.66.0.1/32", "exit-undisposed", directory,
            ], TimeSpan.FromSeconds(60));

            Assert.False(result.TimedOut, $"the program did not exit:\n{result.StandardError}");
            Assert.Equal(0, result.ExitCode);
            var started = result.Line("started");
            Assert.NotNull(started);
            Assert.Equal("True", started["exists"]); // the socket was there while the program ran
            Assert.False(File.Exists(started["socket"]), "the control socket file outlived its process");
        }
        finally { Directory.Delete(directory, recursive: true); }
    }
}
