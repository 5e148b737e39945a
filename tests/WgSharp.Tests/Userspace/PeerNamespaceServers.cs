using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using WgSharp.Tests.Integration.Infrastructure;

namespace WgSharp.Tests.Userspace;

/// <summary>A real server program (python3) running in the peer namespace as long as this object lives.</summary>
internal sealed class NamespaceServerProcess : IDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();
    private readonly Lock _lock = new();

    private NamespaceServerProcess(NetworkNamespace netns, string program, IEnumerable<string> arguments)
    {
        var start = new ProcessStartInfo("ip") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in new[] { "netns", "exec", netns.Name, program }.Concat(arguments))
            start.ArgumentList.Add(argument);
        start.Environment["PYTHONUNBUFFERED"] = "1";
        _process = Process.Start(start) ?? throw new InvalidOperationException($"{program} did not start");
        _process.OutputDataReceived += (_, e) => Append(e.Data);
        _process.ErrorDataReceived += (_, e) => Append(e.Data);
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    /// <summary>Everything the program printed so far.</summary>
    public string Output
    {
        get { lock (_lock) return _output.ToString(); }
    }

    /// <summary>Debian's python3 (not a per-user shim that user root's PATH may put first).</summary>
    private static string Python => File.Exists("/usr/bin/python3") ? "/usr/bin/python3" : "python3";

    /// <summary>`python3 -m http.server` serving <paramref name="directory"/> on the peer's tunnel address.</summary>
    public static NamespaceServerProcess HttpServer(NetworkNamespace netns, string directory, int port)
    {
        var server = new NamespaceServerProcess(netns, Python,
            ["-m", "http.server", port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--bind", TunnelPeerNamespace.PeerAddress, "--directory", directory]);
        server.WaitUntil(() => CanConnect(netns, port), "http.server listening");
        return server;
    }

    /// <summary>A tiny DNS responder on the peer's tunnel address, port 53: A records for <paramref name="records"/>, NXDOMAIN for other names.</summary>
    public static NamespaceServerProcess DnsResponder(NetworkNamespace netns, IReadOnlyDictionary<string, string> records)
    {
        var script = Path.Combine(UnprivilegedProgram.SharedDirectory, "dns-responder.py");
        File.WriteAllText(script, DnsResponderScript);
        var arguments = new List<string> { script, TunnelPeerNamespace.PeerAddress };
        foreach (var (name, address) in records)
            arguments.AddRange([name, address]);
        var server = new NamespaceServerProcess(netns, Python, arguments);
        server.WaitUntil(() => server.Output.Contains("ready", StringComparison.Ordinal), "dns responder ready");
        return server;
    }

    private void Append(string? line)
    {
        if (line is null)
            return;
        lock (_lock)
            _output.AppendLine(line);
    }

    private void WaitUntil(Func<bool> ready, string what)
    {
        var clock = Stopwatch.StartNew();
        while (!ready())
        {
            if (_process.HasExited || clock.Elapsed > TimeSpan.FromSeconds(15))
            {
                Dispose();
                throw new InvalidOperationException($"{what}: not within 15 s; it printed:\n{Output}");
            }
            Thread.Sleep(50);
        }
    }

    private static bool CanConnect(NetworkNamespace netns, int port) => netns.Run(() =>
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            socket.Connect(new IPEndPoint(TunnelPeerNamespace.PeerIp, port));
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    });

    public void Dispose()
    {
        try
        {
            if (!_process.HasExited)
                _process.Kill(entireProcessTree: true);
            _process.WaitForExit(5000);
        }
        catch (InvalidOperationException)
        {
        }
        _process.Dispose();
    }

    /// <summary>Answers A queries from a table given as arguments (ADDRESS NAME IP NAME IP ...); prints each query it gets.</summary>
    private const string DnsResponderScript = """
        import socket, struct, sys
        records = {sys.argv[i].lower().rstrip('.'): sys.argv[i + 1] for i in range(2, len(sys.argv) - 1, 2)}
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.bind((sys.argv[1], 53))
        print("ready", flush=True)
        while True:
            data, client = s.recvfrom(4096)
            if len(data) < 12:
                continue
            ident, flags = struct.unpack(">HH", data[:4])
            i, labels = 12, []
            while i < len(data) and data[i] != 0:
                length = data[i]
                labels.append(data[i + 1:i + 1 + length].decode("ascii", "replace"))
                i += 1 + length
            i += 1
            if i + 4 > len(data):
                continue
            qtype, = struct.unpack(">H", data[i:i + 2])
            question = data[12:i + 4]
            name = ".".join(labels).lower()
            print("query", name, qtype, flush=True)
            answers = b""
            rcode = 0 if name in records else 3
            if rcode == 0 and qtype == 1:
                answers = b"\xc0\x0c" + struct.pack(">HHIH", 1, 1, 60, 4) + socket.inet_aton(records[name])
            header = struct.pack(">HHHHHH", ident, 0x8400 | (flags & 0x0100) | 0x0080 | rcode, 1, 1 if answers else 0, 0, 0)
            s.sendto(header + question + answers, client)
        """;
}
