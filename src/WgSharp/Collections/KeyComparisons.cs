namespace WgSharp.Collections;

/// <summary>
/// Counts equality checks between configuration keys (allowed-IP prefixes) on the current thread,
/// so a test can show that loading n prefixes does O(n) work by counting it instead of timing it.
/// Control plane only; the per-packet path never compares these keys.
/// </summary>
internal static class KeyComparisons
{
    [ThreadStatic] private static long _count;

    public static long Count => _count;

    public static void Reset() => _count = 0;

    public static void Record() => _count++;
}
