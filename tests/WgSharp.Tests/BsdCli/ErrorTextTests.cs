using WgSharp.Keys;
using WgSharp.Tests.Integration.Infrastructure;

namespace WgSharp.Tests.BsdCli;

/// <summary>
/// A sample of bad inputs across the dialects: each is one short line for the user, never .NET's
/// exception text ("(Parameter 'peer')", exception type names, stack frames), and a non-zero exit.
/// </summary>
[Collection(NetnsCollection.Name)]
[Trait(TestTiers.Name, TestTiers.Root)]
public sealed class ErrorTextTests
{
    private static readonly string Peer = KeyGenerator.DerivePublicKey(KeyGenerator.GeneratePrivateKey()).ToBase64();

    [Fact]
    public void BadInputsAreOneShortSentenceWithoutDotNetText()
    {
        using var ns = NetworkNamespace.Create();
        string name = TestNames.NewInterface();
        try
        {
            OperatorCli.Ok(ns, name, "create");
            string[][] inputs =
            [
                [name, "wgpeer", Peer, "wgdescr", "line\nbreak"],
                ["-f", "no good"],
                [name, "wgpeer", Peer, "wgdescr", "bell\a"],
                [name, "wgpeer", Peer, "wgendpoint", "no.such.host.invalid", "7000"],
                [name, "wgport", "99999"],
                [name, "mtu", "x"],
                [name, "rdomain", "-1"],
                [name, "wgpeer", Peer, "wgpka"],
                ["set", name, "peer", "garbage"],
                ["set", name, "listen-port", "abc"],
                ["set", name, "private-key", "/nonexistent/key"],
                ["set", name, "peer", Peer, "allowed-ips", "10.0.0.0/99"],
                ["set", name, "peer", Peer, "endpoint", "nohostport"],
                ["setconf", name, "/nonexistent/conf"],
                ["show", name, "bogus"],
                ["route", "-T", "x", "exec", "true"],
                ["netstart", "-x"],
                ["-f"],
                ["-a", "extra"],
                ["bad name!"],
            ];
            foreach (var input in inputs)
            {
                var result = OperatorCli.Run(ns, input);
                string shown = "wgsharp " + string.Join(' ', input);
                Assert.True(result.ExitCode != 0, $"{shown}: exit 0");
                string error = result.StandardError;
                Assert.DoesNotContain("(Parameter", error);
                Assert.DoesNotContain("Exception", error);
                Assert.DoesNotContain("   at ", error);
                Assert.DoesNotContain("System.", error);
                // One sentence, perhaps followed by a usage text (as wg(8) prints one).
                var sentences = error.TrimEnd('\n').Split('\n')
                    .Where(line => !line.StartsWith("usage:", StringComparison.OrdinalIgnoreCase) && !line.StartsWith(' ')).ToList();
                Assert.True(sentences.Count <= 1, $"{shown}: {error}");
            }
            OperatorCli.AssertRunning(ns, name);
            OperatorCli.Ok(ns, name, "destroy");
        }
        finally { OperatorCli.CleanUp(ns, name); }
    }
}
