using System.Diagnostics.Tracing;

namespace WgSharp.UserspaceProbe;

/// <summary>
/// WGSHARP_PROBE_ALLOCATIONS=1: samples the runtime's allocation ticks (one event per ~100 KB allocated, naming the type
/// that crossed the mark) so a transfer's allocations can be traced to their type; printed as "allocations" lines.
/// </summary>
internal sealed class AllocationSampler : EventListener
{
    private readonly Dictionary<string, long> _bytesByType = new(StringComparer.Ordinal);
    private readonly Lock _lock = new();
    private volatile bool _on;

    public static AllocationSampler? FromEnvironment() =>
        Environment.GetEnvironmentVariable("WGSHARP_PROBE_ALLOCATIONS") == "1" ? new AllocationSampler() : null;

    /// <summary>Starts counting (what was allocated before is not counted).</summary>
    public void Start()
    {
        lock (_lock) _bytesByType.Clear();
        _on = true;
    }

    protected override void OnEventSourceCreated(EventSource source)
    {
        if (source.Name == "Microsoft-Windows-DotNETRuntime")
            EnableEvents(source, EventLevel.Verbose, (EventKeywords)0x1); // GC keyword: GCAllocationTick
    }

    protected override void OnEventWritten(EventWrittenEventArgs e)
    {
        if (!_on || e.EventName is null || !e.EventName.StartsWith("GCAllocationTick", StringComparison.Ordinal) || e.Payload is null) return;
        int typeIndex = e.PayloadNames!.IndexOf("TypeName"), amountIndex = e.PayloadNames.IndexOf("AllocationAmount64");
        string type = typeIndex >= 0 ? e.Payload[typeIndex] as string ?? "?" : "?";
        long amount = amountIndex >= 0 && e.Payload[amountIndex] is ulong a ? (long)a : 100_000;
        lock (_lock) _bytesByType[type] = _bytesByType.GetValueOrDefault(type) + amount;
    }

    public void Print()
    {
        lock (_lock)
        {
            foreach (var (type, bytes) in _bytesByType.OrderByDescending(p => p.Value).Take(15))
                Console.WriteLine($"allocations type={type} sampled-bytes={bytes}");
        }
    }
}
