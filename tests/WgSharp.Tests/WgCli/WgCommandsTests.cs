using System.Text;
using WgSharp.Cli.Wg;
using WgSharp.Keys;

namespace WgSharp.Tests.WgCli;

/// <summary>The subcommands run in-process against fake streams (no daemon needed).</summary>
public class WgCommandsTests
{
    private sealed record Outcome(int ExitCode, string Out, string Error);

    private static Outcome Run(string[] args, string input = "", bool worldAccessible = false, string? socketDirectory = null)
    {
        var stdout = new StringWriter { NewLine = "\n" };
        var stderr = new StringWriter { NewLine = "\n" };
        var console = new WgConsole
        {
            Input = new MemoryStream(Encoding.ASCII.GetBytes(input)),
            Out = stdout,
            Error = stderr,
            OutputIsWorldAccessible = () => worldAccessible,
            Devices = new WgDevices(socketDirectory ?? Path.Combine(Path.GetTempPath(), "wgsw-no-such-dir")),
        };
        int code = WgCommands.Run(args, console);
        return new Outcome(code, stdout.ToString(), stderr.ToString());
    }

    [Fact]
    public void Pubkey_matches_the_rfc7748_vector()
    {
        // RFC 7748 section 6.1, Alice.
        var alicePrivate = Convert.FromHexString("77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a");
        var alicePublic = Convert.FromHexString("8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a");
        var outcome = Run(["pubkey"], Convert.ToBase64String(alicePrivate) + "\n");
        Assert.Equal(0, outcome.ExitCode);
        Assert.Equal(Convert.ToBase64String(alicePublic) + "\n", outcome.Out);
    }

    [Theory]
    [InlineData("bad\n", "wgsharp: Key is not the correct length or format\n")]
    [InlineData("", "wgsharp: Key is not the correct length or format\n")]
    [InlineData("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA= x", "wgsharp: Trailing characters found after key\n")]
    [InlineData("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAB", "wgsharp: Key is not the correct length or format\n")]
    public void Pubkey_refuses_bad_input(string input, string error)
    {
        var outcome = Run(["pubkey"], input);
        Assert.Equal(1, outcome.ExitCode);
        Assert.Equal("", outcome.Out);
        Assert.Equal(error, outcome.Error);
    }

    [Fact]
    public void Genkey_is_clamped_fresh_and_warns_only_for_world_accessible_files()
    {
        var first = Run(["genkey"]);
        var second = Run(["genkey"], worldAccessible: true);
        Assert.Equal(0, first.ExitCode);
        Assert.Equal("", first.Error);
        Assert.Equal("Warning: writing to world accessible file.\nConsider setting the umask to 077 and trying again.\n", second.Error);
        Assert.NotEqual(first.Out, second.Out);
        foreach (var output in new[] { first.Out, second.Out })
        {
            Assert.EndsWith("\n", output);
            var key = Key.ParseBase64(output.TrimEnd('\n'));
            Assert.Equal(KeyGenerator.ClampPrivateKey(key), key);
        }
    }

    [Fact]
    public void Genpsk_is_random_base64()
    {
        var a = Run(["genpsk"]);
        var b = Run(["genpsk"]);
        Assert.Equal(45, a.Out.Length);
        Assert.NotEqual(a.Out, b.Out);
        Assert.True(Key.TryParseBase64(a.Out.TrimEnd('\n'), out _, out _));
    }

    [Theory]
    [InlineData("Usage: wgsharp genkey\n", "genkey", "x")]
    [InlineData("Usage: wgsharp pubkey\n", "pubkey", "x")]
    [InlineData("Usage: wgsharp showconf <interface>\n", "showconf")]
    [InlineData("Usage: wgsharp addconf <interface> <configuration filename>\n", "addconf", "wgsw9")]
    [InlineData("Invalid subcommand: `bogus'\n", "bogus")]
    [InlineData("Unable to access interface: No such device\n", "show", "wgsw9")]
    [InlineData("Unable to access interface: No such device\n", "showconf", "wgsw9")]
    [InlineData("Unable to modify interface: No such device\n", "set", "wgsw9", "listen-port", "1")]
    [InlineData("Invalid argument: bogus\n", "set", "wgsw9", "bogus")]
    [InlineData("fopen: No such file or directory\n", "setconf", "wgsw9", "/nonexistent.conf")]
    public void Errors_are_one_line_and_exit_1(string error, params string[] args)
    {
        var outcome = Run(args);
        Assert.Equal(1, outcome.ExitCode);
        Assert.Equal(error, outcome.Error);
        Assert.Equal("", outcome.Out);
    }

    [Fact]
    public void Show_without_interfaces_prints_nothing()
    {
        var dir = Directory.CreateTempSubdirectory("wgsw-empty-");
        try
        {
            File.WriteAllText(Path.Combine(dir.FullName, "wgswstale.sock"), ""); // not a listening socket: skipped
            foreach (var args in new[] { new[] { "show" }, ["show", "all", "dump"], ["show", "interfaces"], [] })
            {
                var outcome = Run(args, socketDirectory: dir.FullName);
                Assert.Equal((0, "", ""), (outcome.ExitCode, outcome.Out, outcome.Error));
            }
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    [Fact]
    public void Show_usage_errors()
    {
        var tooMany = Run(["show", "a", "b", "c"]);
        Assert.Equal(1, tooMany.ExitCode);
        Assert.StartsWith("Usage: wgsharp show { <interface> | all | interfaces }", tooMany.Error);
        Assert.Equal(1, Run(["show", "interfaces", "x"]).ExitCode);
        Assert.Equal(0, Run(["show", "--help"]).ExitCode);
    }
}
