namespace WgSharp.Tests.Integration.Infrastructure;

/// <summary>Counts what a loop allocates on the calling thread, robust to one-off runtime charges.</summary>
internal static class Allocations
{
    /// <summary>
    /// The fewest bytes allocated over <paramref name="windows"/> windows of <paramref name="rounds"/> calls each.
    /// An allocation per call shows in every window; one-off runtime work charged to this thread (tiered JIT
    /// promotion, on-stack replacement, a listener another test left in the process) lands in one window only.
    /// </summary>
    public static long FewestPerWindow(int windows, int rounds, Action<int> round)
    {
        long fewest = long.MaxValue;
        for (int window = 0; window < windows; window++)
        {
            long before = GC.GetAllocatedBytesForCurrentThread();
            for (int i = 0; i < rounds; i++)
                round(window * rounds + i);
            fewest = Math.Min(fewest, GC.GetAllocatedBytesForCurrentThread() - before);
        }
        return fewest;
    }
}
