namespace WgSharp.Tests.Integration.Infrastructure;

/// <summary>Allocation measurement for zero-allocation tests (missing from main at 545dd4b; replace with main's own when it lands).</summary>
internal static class Allocations
{
    /// <summary>
    /// The fewest bytes this thread allocated in any of <paramref name="windows"/> windows of <paramref name="iterations"/>
    /// calls: an allocation per call shows in every window, a one-off runtime charge in one only.
    /// </summary>
    public static long FewestPerWindow(int windows, int iterations, Action<int> body)
    {
        long fewest = long.MaxValue;
        for (int w = 0; w < windows; w++)
        {
            long before = GC.GetAllocatedBytesForCurrentThread();
            for (int i = 0; i < iterations; i++) body(i);
            fewest = Math.Min(fewest, GC.GetAllocatedBytesForCurrentThread() - before);
        }
        return fewest;
    }
}
