using System.Runtime.Versioning;
using WgSharp.Control.Uapi;
using WgSharp.Keys;

namespace WgSharp.Tests.Uapi;

/// <summary>
/// Issue 11 item 2: whatever malformed request carries a key, the server's log (and the error texts the
/// parsers produce) say what kind of line was refused, never the key: no 16 hex digits or 16 base64
/// characters of it appear anywhere.
/// </summary>
[SupportedOSPlatform("linux")]
public sealed class UapiKeyLoggingTests : IDisposable
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "wgsk-" + Guid.NewGuid().ToString("N")[..8]);
    private readonly FakeDeviceControl _device = new("wgsktest0");
    private readonly ListLogger _log = new();
    private static readonly Key Secret = KeyGenerator.GeneratePrivateKey();
    private static readonly string Hex = Secret.ToHex();
    private static readonly string Base64 = Secret.ToBase64();
    private static readonly string Peer = UapiSetParserTests.HexA;

    private string SocketPath => Path.Combine(_directory, "wgsktest0.sock");

    public void Dispose()
    {
        try { Directory.Delete(_directory, recursive: true); } catch (DirectoryNotFoundException) { }
    }

    /// <summary>Every request shape a key could be refused in: as an operation, without '=', under any field, badly encoded.</summary>
    public static IEnumerable<string> MalformedRequests()
    {
        string[] encodings = [Hex, Hex.ToUpperInvariant(), Base64, Hex + "0", Hex[..^1], Hex + "zz", Hex[..62] + "g0", "0x" + Hex, Hex + " ", " " + Hex];
        string[] deviceKeys = ["private_key", "listen_port", "fwmark", "replace_peers", "remove_all_peers", "debug", "rtable", "preshared_key", "bogus", Hex];
        string[] peerKeys = ["preshared_key", "private_key", "endpoint", "persistent_keepalive_interval", "replace_allowed_ips", "allowed_ip",
            "remove_allowed_ip", "update_only", "remove", "protocol_version", "description", "public_key", "bogus", Hex];
        foreach (var value in encodings)
        {
            // Not inside a set: the operation line itself.
            yield return $"private_key={value}\n\n";
            yield return $"{value}\n\n";
            yield return $"set={value}\n\n";
            yield return $"get={value}\n\n";
            yield return $"set=1{value}\n\n";
            // Inside a set: no '=', then every device and peer key with the key as its value.
            yield return $"set=1\nprivate_key{value}\n\n";
            yield return $"set=1\n{value}\n\n";
            yield return $"set=1\nprivate_key {value}\n\n";
            yield return $"set=1\npublic_key={Peer}\npreshared_key{value}\n\n";
            foreach (var key in deviceKeys) yield return $"set=1\n{key}={value}\n\n";
            foreach (var key in peerKeys) yield return $"set=1\npublic_key={Peer}\n{key}={value}\n\n";
            yield return $"set=1\npublic_key={Peer}\ndescription={value}\u0001\n\n";
            yield return $"set=1\npublic_key={value}\n\n";
        }
    }

    [Fact]
    public void NoMalformedRequestPutsAnyLongFragmentOfAKeyInTheLog()
    {
        using (UapiServer.StartAt(SocketPath, _device, _log))
        {
            foreach (var request in MalformedRequests())
            {
                using var socket = new UapiTestSocket(SocketPath);
                socket.Send(request);
                socket.ShutdownSend();
                socket.IsClosedByPeer();
            }
        }
        Assert.Contains("set failed", _log.All, StringComparison.Ordinal); // refusals were logged
        Assert.Contains("invalid operation", _log.All, StringComparison.Ordinal);
        AssertHoldsNoFragmentOfTheKey(_log.All);
    }

    [Fact]
    public void TheSetParsersErrorMessagesHoldNoFragmentOfAKey()
    {
        foreach (var request in MalformedRequests().Where(r => r.StartsWith("set=1\n", StringComparison.Ordinal)))
        {
            var result = UapiSetParser.Parse(request["set=1\n".Length..], out _);
            if (result.IsOk) continue; // a few shapes are valid requests (private_key=<hex>)
            AssertHoldsNoFragmentOfTheKey(result.Message ?? "");
        }
    }

    [Fact]
    public void TheGetParsersErrorsHoldNoFragmentOfAKey()
    {
        foreach (var body in new[] { $"private_key{Hex}\n", $"private_key={Hex}0\n", $"{Hex}\n", $"errno={Hex}\n",
                     $"public_key={Peer}\npreshared_key={Hex}z\n", $"public_key={Peer}\nendpoint={Hex}\n", $"public_key={Peer}\nallowed_ip={Hex}\n",
                     $"listen_port={Hex}\n", $"public_key={Peer}\nrx_bytes={Hex}\n", $"public_key={Hex}0\n" })
        {
            var error = Record.Exception(() => UapiGetParser.Parse("wgsktest0", body + "errno=0\n"));
            Assert.NotNull(error);
            AssertHoldsNoFragmentOfTheKey(error.Message);
        }
    }

    [Fact]
    public async Task TheLineReaderKeepsNoCopyOfTheLinesItHasReturned()
    {
        var request = System.Text.Encoding.ASCII.GetBytes($"set=1\nprivate_key={Hex}\nlisten_port=1\n\n");
        using var reader = new UapiLineReader(new MemoryStream(request));
        while ((await reader.ReadLineAsync(CancellationToken.None)).Line is { Length: > 0 }) { }
        AssertHoldsNoFragmentOfTheKey(System.Text.Encoding.ASCII.GetString(BufferOf(reader)));
    }

    [Fact]
    public void TheLineReaderZeroesALineHandedOutAsBytesAtTheNextRead()
    {
        var request = System.Text.Encoding.ASCII.GetBytes($"set=1\nprivate_key={Hex}\nlisten_port=1\n\n");
        using var reader = new UapiLineReader(new MemoryStream(request));
        Assert.Equal(UapiLineReader.Status.Line, reader.ReadLineBytes(out _, out _));
        Assert.Equal(UapiLineReader.Status.Line, reader.ReadLineBytes(out var line, out _));
        Assert.Equal($"private_key={Hex}", System.Text.Encoding.ASCII.GetString(line));
        Assert.Equal(UapiLineReader.Status.Line, reader.ReadLineBytes(out _, out _));
        AssertHoldsNoFragmentOfTheKey(System.Text.Encoding.ASCII.GetString(BufferOf(reader)));
    }

    [Fact]
    public void TheSetParserReadsKeysFromBytesAndRefusesWithoutEchoingThem()
    {
        var parser = new UapiSetParser();
        Assert.True(parser.ParseLine(System.Text.Encoding.ASCII.GetBytes($"private_key={Hex}")));
        Assert.False(parser.ParseLine(System.Text.Encoding.ASCII.GetBytes($"{Hex}={Hex}")));
        var result = parser.Finish(out var update);
        Assert.Null(update);
        AssertHoldsNoFragmentOfTheKey(result.Message ?? "");
    }

    private static byte[] BufferOf(UapiLineReader reader) =>
        ((WgSharp.Keys.SecretMemory)typeof(UapiLineReader).GetField("_memory", System.Reflection.BindingFlags.Instance | System.Reflection.BindingFlags.NonPublic)!.GetValue(reader)!).GetSpan().ToArray();

    internal static void AssertHoldsNoFragmentOfTheKey(string text)
    {
        foreach (var encoded in new[] { Hex, Hex.ToUpperInvariant(), Base64 })
            for (int i = 0; i + 16 <= encoded.Length; i++)
                Assert.False(text.Contains(encoded.Substring(i, 16), StringComparison.Ordinal),
                    $"found '{encoded.Substring(i, 16)}' of the key in: {text}");
    }
}
