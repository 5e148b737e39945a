using System.Buffers.Binary;
using System.Runtime.InteropServices;
using WgSharp.Keys;
using WgSharp.Linux;
using WgSharp.Tests.Integration.Infrastructure;

namespace WgSharp.Tests.Packaging;

/// <summary>
/// `tools/publish.sh linux-arm64`: on this x86_64 machine a NativeAOT cross-compile (the arm64 runtime from NuGet,
/// linker and C runtime from Debian's cross packages). The output is an aarch64 executable with the aarch64
/// libsodium.so beside it, and it runs: under qemu-user here, natively on an arm64 machine.
/// </summary>
[Collection(NetnsCollection.Name)] // a NativeAOT compile: CPU-heavy, never alongside the network tests
[Trait(TestTiers.Name, TestTiers.Root)]
public sealed class Arm64PublishTests : IDisposable
{
    private const ushort ElfMachineAarch64 = 183; // EM_AARCH64
    private readonly string _scratch = Directory.CreateTempSubdirectory("wgsharp-arm64-").FullName;

    public void Dispose() => Directory.Delete(_scratch, recursive: true);

    [Fact]
    public void PublishesAnArm64ExecutableThatMakesAndDerivesKeys()
    {
        string output = Path.Combine(_scratch, "linux-arm64");
        var publish = CommandRunner.Run("bash", [Path.Combine(RepositoryRoot.Path, "tools", "publish.sh"), "linux-arm64", output],
            TimeSpan.FromMinutes(10));
        Assert.True(publish.ExitCode == 0, publish.StandardOutput + publish.StandardError);

        Assert.Equal(new[] { "libsodium.so", "wgsharp" }, Directory.GetFiles(output).Select(f => Path.GetFileName(f)).Order());
        Assert.Equal(ElfMachineAarch64, ElfMachine(Path.Combine(output, "wgsharp")));
        Assert.Equal(ElfMachineAarch64, ElfMachine(Path.Combine(output, "libsodium.so")));

        var genkey = RunArm64(Path.Combine(output, "wgsharp"), "genkey");
        Assert.True(genkey.ExitCode == 0, genkey.StandardError);
        var privateKey = Key.ParseBase64(genkey.StandardOutput.Trim());
        // pubkey is X25519 in the arm64 libsodium.so: the same public key this process derives.
        var pubkey = RunArm64(Path.Combine(output, "wgsharp"), "pubkey", standardInput: genkey.StandardOutput);
        Assert.True(pubkey.ExitCode == 0, pubkey.StandardError);
        Assert.Equal(KeyGenerator.DerivePublicKey(privateKey).ToBase64(), pubkey.StandardOutput.Trim());
    }

    /// <summary>e_machine of an ELF file (little-endian, the only kind Linux x86_64 and aarch64 use).</summary>
    private static ushort ElfMachine(string path)
    {
        byte[] header = new byte[20];
        using (var file = File.OpenRead(path)) file.ReadExactly(header);
        Assert.Equal("\u007fELF"u8.ToArray(), header[..4]);
        return BinaryPrimitives.ReadUInt16LittleEndian(header.AsSpan(18));
    }

    /// <summary>Runs an aarch64 executable: directly on arm64, through qemu-user with Debian's arm64 libc elsewhere.</summary>
    private static CommandResult RunArm64(string executable, string command, string? standardInput = null) =>
        RuntimeInformation.OSArchitecture == Architecture.Arm64
            ? CommandRunner.Run(executable, [command], standardInput: standardInput)
            : CommandRunner.Run("qemu-aarch64", ["-L", "/usr/aarch64-linux-gnu", executable, command], standardInput: standardInput);
}
