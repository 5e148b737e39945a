// The userspace end-to-end tests' probe: starts one userspace-mode WireGuard interface (no TUN, no root) from the
// command line, runs one command through it and prints machine-readable "word key=value ..." lines:
//   identity uid=65534 user=nobody capeff=0000000000000000 tun-fds=0
//   result ... (the command's figures) | error socket=ConnectionRefused message="..."
// Exit code 0 on success, 2 on a socket error (the error line says which), 1 on bad usage or anything else.
using System.Diagnostics;
using System.Net.Sockets;
using WgSharp;
using WgSharp.UserspaceProbe;

ProbeOptions options;
try
{
    options = ProbeOptions.Parse(args);
}
catch (Exception e) when (e is ArgumentException or FormatException)
{
    Console.Error.WriteLine($"{e.Message}\n{ProbeOptions.Usage}");
    return 1;
}

if (options.Command == "relay")
    return LossyRelay.Run(options.Arguments);
if (options.Command == "whoami")
{
    Console.WriteLine(Identity.Describe());
    return 0;
}

PortableAead.ApplyEnvironment();
using var timeout = new CancellationTokenSource(options.Timeout);
// SIGTERM ends the command as its timeout would, so the counters and the error line still get printed.
using var terminate = System.Runtime.InteropServices.PosixSignalRegistration.Create(System.Runtime.InteropServices.PosixSignal.SIGTERM, context =>
{
    context.Cancel = true;
    timeout.Cancel();
});
if (options.Command == "exit-undisposed")
    return await UndisposedExit.RunAsync(options, timeout.Token);
try
{
    bool debug = Environment.GetEnvironmentVariable("WGSHARP_PROBE_DEBUG") == "1";
    await using var wg = await WireGuardInterface.StartAsync(InterfaceOptions.From(options) with { DebugLog = debug },
        debug ? new StderrLogger() : null, timeout.Token);
    var network = wg.Network ?? throw new InvalidOperationException("the interface has no Network: not in userspace mode");
    if (options.Wake is { } wake)
        await Commands.WakeAsync(network, wake, timeout.Token);
    var commands = new Commands(network, options, timeout.Token);
    using var allocations = AllocationSampler.FromEnvironment();
    allocations?.Start();
    try
    {
        await commands.RunAsync();
    }
    finally
    {
        allocations?.Print();
        // The stack's non-zero counters (drops, resets, retransmissions): what to quote when reporting a failure.
        Console.WriteLine(StackCounters.Describe(wg));
    }
    Console.WriteLine(Identity.Describe());
    return 0;
}
catch (Exception e) when (ProbeErrors.SocketErrorOf(e, timeout.IsCancellationRequested) is { } error)
{
    Console.WriteLine($"error socket={error} message=\"{e.Message.Replace('"', '\'')}\"");
    Console.WriteLine(Identity.Describe());
    return 2;
}
catch (Exception e)
{
    Console.WriteLine($"error socket=none type={e.GetType().Name} message=\"{e.Message.Replace('"', '\'')}\"");
    Console.Error.WriteLine(e);
    Console.WriteLine(Identity.Describe());
    return 1;
}

/// <summary>Maps what the API threw to the SocketError a kernel socket would report.</summary>
internal static class ProbeErrors
{
    public static SocketError? SocketErrorOf(Exception e, bool probeTimedOut)
    {
        for (Exception? inner = e; inner is not null; inner = inner.InnerException)
        {
            if (inner is SocketException socket)
                return socket.SocketErrorCode;
        }
        // The probe's own --timeout ran out: report it as the kernel's connect timeout would.
        if (e is OperationCanceledException && probeTimedOut)
            return SocketError.TimedOut;
        return null;
    }
}

/// <summary>Who this process is: the proof that the tunnel needed no privilege.</summary>
internal static class Identity
{
    public static string Describe()
    {
        string uid = "?", capEff = "?";
        foreach (var line in File.ReadLines("/proc/self/status"))
        {
            if (line.StartsWith("Uid:", StringComparison.Ordinal))
                uid = line.Split('\t', StringSplitOptions.RemoveEmptyEntries)[1];
            else if (line.StartsWith("CapEff:", StringComparison.Ordinal))
                capEff = line.Split('\t', StringSplitOptions.RemoveEmptyEntries)[1].Trim();
        }
        return $"identity uid={uid} user={Environment.UserName} capeff={capEff} tun-fds={TunDescriptors()} aead={PortableAead.Describe()}";
    }

    /// <summary>Open descriptors on /dev/net/tun (a TUN device needs them).</summary>
    private static int TunDescriptors()
    {
        int count = 0;
        foreach (var fd in Directory.GetFiles("/proc/self/fd"))
        {
            try
            {
                if (new FileInfo(fd).LinkTarget is "/dev/net/tun")
                    count++;
            }
            catch (IOException)
            {
                // closed meanwhile
            }
        }
        return count;
    }

    public static double CpuSeconds()
    {
        using var self = Process.GetCurrentProcess();
        return self.TotalProcessorTime.TotalSeconds;
    }
}

/// <summary>
/// WGSHARP_AEAD=libsodium, as the daemon honours it: the library reads no environment; its AppContext switch
/// (named by OpenSslChaChaPoly.ForceLibsodiumSwitch, internal, so read by reflection: a rename fails here, loudly)
/// is set before the first AEAD use.
/// </summary>
internal static class PortableAead
{
    private static string SwitchName =>
        typeof(WireGuardInterface).Assembly.GetType("WgSharp.Crypto.OpenSslChaChaPoly")?
            .GetField("ForceLibsodiumSwitch", System.Reflection.BindingFlags.Static | System.Reflection.BindingFlags.Public | System.Reflection.BindingFlags.NonPublic)?
            .GetRawConstantValue() as string
        ?? throw new InvalidOperationException("WGSHARP_AEAD=libsodium: the library has no OpenSslChaChaPoly.ForceLibsodiumSwitch");

    public static void ApplyEnvironment()
    {
        if (Environment.GetEnvironmentVariable("WGSHARP_AEAD") == "libsodium")
            AppContext.SetSwitch(SwitchName, true);
    }

    public static string Describe() => AppContext.TryGetSwitch(SwitchName, out bool forced) && forced ? "libsodium" : "default";
}

/// <summary>The userspace stack's counters that are not zero, on one line.</summary>
internal static class StackCounters
{
    public static string Describe(WireGuardInterface wg)
    {
        var line = new System.Text.StringBuilder("counters");
        if (wg.GetStatus().NetworkCounters is { } counters)
        {
            foreach (var (name, value) in counters.OrderBy(c => c.Key, StringComparer.Ordinal))
            {
                if (value != 0)
                    line.Append(' ').Append(name).Append('=').Append(value);
            }
        }
        return line.ToString();
    }
}

/// <summary>The process's garbage collections and allocated bytes at one moment, to report what a transfer cost.</summary>
internal readonly record struct GcFigures(int Gen0, int Gen1, int Gen2, long Allocated)
{
    public static GcFigures Now() =>
        new(GC.CollectionCount(0), GC.CollectionCount(1), GC.CollectionCount(2), GC.GetTotalAllocatedBytes(precise: true));

    /// <summary>"gc0=N gc1=N gc2=N allocated-bytes=N" since <paramref name="start"/>.</summary>
    public string Since(GcFigures start) =>
        $"gc0={Gen0 - start.Gen0} gc1={Gen1 - start.Gen1} gc2={Gen2 - start.Gen2} allocated-bytes={Allocated - start.Allocated}";
}
