using System.Diagnostics;
using System.Globalization;
using System.Text;
using WgSharp.Linux;
using WgSharp.Keys;

namespace WgSharp.Tests.Integration.Infrastructure;

/// <summary>
/// Debian's wireguard-go running in the foreground inside a test namespace, configured with the real
/// `wg` tool over its UAPI socket. Dispose stops the process and removes its socket.
/// </summary>
internal sealed class WireGuardGoPeer : IDisposable
{
    public const string SocketDirectory = "/var/run/wireguard";
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(15);

    private readonly Process _process;
    private readonly StringBuilder _log = new();
    private bool _disposed;

    private WireGuardGoPeer(NetworkNamespace netns, string interfaceName, Process process, Key privateKey)
    {
        Namespace = netns;
        InterfaceName = interfaceName;
        _process = process;
        PrivateKey = privateKey;
        PublicKey = KeyGenerator.DerivePublicKey(privateKey);
    }

    public NetworkNamespace Namespace { get; }
    public string InterfaceName { get; }
    public Key PrivateKey { get; }
    public Key PublicKey { get; }
    public string SocketPath => Path.Combine(SocketDirectory, InterfaceName + ".sock");

    /// <summary>Waits for the wireguard-go process to end (e.g. after the interface was deleted); true if it did.</summary>
    public bool WaitForExit(TimeSpan timeout) => _process.WaitForExit(timeout);

    /// <summary>What wireguard-go printed so far (for failure messages).</summary>
    public string Log
    {
        get { lock (_log) return _log.ToString(); }
    }

    /// <summary>Starts `wireguard-go -f IF` in <paramref name="netns"/>, waits for its UAPI socket and sets a fresh private key.</summary>
    public static WireGuardGoPeer Start(NetworkNamespace netns, string? interfaceName = null)
    {
        TestTiers.RequireRoot("wireguard-go");
        interfaceName ??= TestNames.NewInterface();
        var start = new ProcessStartInfo("ip")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        // `ip netns exec` execs the program directly, so the process we hold is wireguard-go itself.
        foreach (var argument in new[] { "netns", "exec", netns.Name, "wireguard-go", "-f", interfaceName })
            start.ArgumentList.Add(argument);
        start.Environment["WG_PROCESS_FOREGROUND"] = "1";
        start.Environment["LOG_LEVEL"] = "verbose";

        var process = new Process { StartInfo = start };
        var peer = new WireGuardGoPeer(netns, interfaceName, process, KeyGenerator.GeneratePrivateKey());
        process.OutputDataReceived += (_, e) => peer.Append(e.Data);
        process.ErrorDataReceived += (_, e) => peer.Append(e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            peer.WaitForSocket();
            peer.Wg(["set", interfaceName, "private-key", "/dev/stdin"], peer.PrivateKey.ToBase64() + "\n");
            return peer;
        }
        catch
        {
            peer.Dispose();
            throw;
        }
    }

    private void Append(string? line)
    {
        if (line == null)
            return;
        lock (_log)
            _log.AppendLine(line);
    }

    private void WaitForSocket()
    {
        var deadline = Stopwatch.StartNew();
        while (!File.Exists(SocketPath))
        {
            if (_process.HasExited)
                throw new InvalidOperationException($"wireguard-go exited with {_process.ExitCode}: {Log}");
            if (deadline.Elapsed > StartTimeout)
                throw new TimeoutException($"wireguard-go did not create {SocketPath}: {Log}");
            Thread.Sleep(20);
        }
    }

    /// <summary>Runs `wg ARGS...` inside the namespace and throws if it fails.</summary>
    public CommandResult Wg(IEnumerable<string> arguments, string? standardInput = null) =>
        Namespace.Exec("wg", arguments, null, standardInput).EnsureSuccess();

    public void SetListenPort(ushort port) =>
        Wg(["set", InterfaceName, "listen-port", port.ToString(CultureInfo.InvariantCulture)]);

    /// <summary>The port wireguard-go actually listens on (after a random bind too).</summary>
    public ushort ListenPort =>
        ushort.Parse(Wg(["show", InterfaceName, "listen-port"]).StandardOutput.Trim(), CultureInfo.InvariantCulture);

    /// <summary>Adds or updates a peer; <paramref name="endpoint"/> like "192.0.2.2:51820" or "[2001:db8::2]:51820".</summary>
    public void SetPeer(Key publicKey, string allowedIps, string? endpoint = null, int? persistentKeepalive = null)
    {
        var arguments = new List<string> { "set", InterfaceName, "peer", publicKey.ToBase64(), "allowed-ips", allowedIps };
        if (endpoint != null)
            arguments.AddRange(["endpoint", endpoint]);
        if (persistentKeepalive != null)
            arguments.AddRange(["persistent-keepalive", persistentKeepalive.Value.ToString(CultureInfo.InvariantCulture)]);
        Wg(arguments);
    }

    /// <summary>Adds an address to the tunnel interface (prefix notation) and brings it up.</summary>
    public void AddAddressAndUp(params string[] prefixes)
    {
        foreach (var prefix in prefixes)
            NetNs.AddAddress(Namespace.Name, InterfaceName, prefix);
        NetNs.SetLinkUp(Namespace.Name, InterfaceName, true);
    }

    /// <summary>`wg show IF dump` output.</summary>
    public string Dump() => Wg(["show", InterfaceName, "dump"]).StandardOutput;

    public void Dispose()
    {
        if (_disposed)
            return;
        _disposed = true;
        try
        {
            if (!_process.HasExited)
            {
                // SIGTERM lets wireguard-go remove its socket and interface itself.
                CommandRunner.Run("kill", "-TERM", _process.Id.ToString(CultureInfo.InvariantCulture));
                if (!_process.WaitForExit(TimeSpan.FromSeconds(5)))
                {
                    _process.Kill(entireProcessTree: true);
                    _process.WaitForExit(TimeSpan.FromSeconds(5));
                }
            }
        }
        catch (InvalidOperationException)
        {
            // never started or already reaped
        }
        finally
        {
            _process.Dispose();
            if (File.Exists(SocketPath))
                File.Delete(SocketPath);
        }
    }
}
