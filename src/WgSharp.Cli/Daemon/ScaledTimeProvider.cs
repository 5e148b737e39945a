namespace WgSharp.Cli.Daemon;

/// <summary>
/// A clock that runs <see cref="Scale"/> times faster than real time (from its creation on): every WireGuard timer
/// of a device on it shrinks by that factor. For tests only (WGSHARP_TIME_SCALE in a test build's output, and
/// in-process tests): a shipped daemon runs on <see cref="TimeProvider.System"/>.
/// </summary>
internal sealed class ScaledTimeProvider : TimeProvider
{
    private readonly long _start = System.GetTimestamp();

    /// <param name="scale">How many times faster than real time; at least 1.</param>
    public ScaledTimeProvider(double scale)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(scale, 1.0);
        Scale = scale;
    }

    public double Scale { get; }

    public override long GetTimestamp() => _start + (long)((System.GetTimestamp() - _start) * Scale);

    public override long TimestampFrequency => System.TimestampFrequency;

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period) =>
        new ScaledTimer(System.CreateTimer(callback, state, Shrink(dueTime), Shrink(period)), this);

    private TimeSpan Shrink(TimeSpan span) => span == Timeout.InfiniteTimeSpan ? span : span / Scale;

    /// <summary>A real timer whose every due time and period is shrunk by the scale.</summary>
    private sealed class ScaledTimer(ITimer inner, ScaledTimeProvider clock) : ITimer
    {
        public bool Change(TimeSpan dueTime, TimeSpan period) => inner.Change(clock.Shrink(dueTime), clock.Shrink(period));

        public void Dispose() => inner.Dispose();

        public ValueTask DisposeAsync() => inner.DisposeAsync();
    }
}
