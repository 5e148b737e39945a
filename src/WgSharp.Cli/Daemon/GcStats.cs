namespace WgSharp.Cli.Daemon;

/// <summary>
/// Benchmark aid: with WGSHARP_GC_STATS=1 (<see cref="EnvironmentKnobs.PrintGcStats"/>) the daemon prints its garbage
/// collection counts and allocated bytes to stderr when it exits, so a throughput run can show that the data path
/// does not allocate per packet (zero gen0 collections is the goal).
/// </summary>
internal static class GcStats
{
    private static int s_registered;

    public static void PrintAtExit()
    {
        if (Interlocked.Exchange(ref s_registered, 1) != 0) return;
        AppDomain.CurrentDomain.ProcessExit += (_, _) => Console.Error.WriteLine(
            $"wgsharp GC stats: gen0={GC.CollectionCount(0)} gen1={GC.CollectionCount(1)} gen2={GC.CollectionCount(2)} " +
            $"allocated={GC.GetTotalAllocatedBytes()} bytes");
    }
}
