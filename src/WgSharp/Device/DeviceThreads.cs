using Microsoft.Extensions.Logging;

namespace WgSharp.Device;

/// <summary>
/// The device's own threads: started named and in the background, an unexpected exception logged (never a
/// crash of the process), and joined on shutdown. Nothing starts once <see cref="Stopping"/> is cancelled.
/// </summary>
internal sealed class DeviceThreads(InterfaceLog log)
{
    private readonly Lock _lock = new();
    private readonly List<Thread> _threads = [];
    private readonly CancellationTokenSource _stopping = new();

    /// <summary>Cancelled once the device shuts down: every loop ends when it sees it.</summary>
    public CancellationToken Stopping => _stopping.Token;

    /// <summary>Starts <paramref name="body"/> on a thread of its own; false (and nothing started) once stopping.</summary>
    public bool Start(string name, Action body)
    {
        var thread = new Thread(() =>
        {
            try { body(); }
            catch (Exception e) when (_stopping.IsCancellationRequested) { _ = e; }
            catch (Exception e) { log.Logger.LogError(e, "{Interface}: {Thread} stopped unexpectedly", log.Name, name); }
        }) { IsBackground = true, Name = name };
        lock (_lock)
        {
            if (_stopping.IsCancellationRequested) return false;
            _threads.Add(thread);
            thread.Start();
        }
        return true;
    }

    /// <summary>Tells every loop to stop (waits for nothing).</summary>
    public void Stop() => _stopping.Cancel();

    /// <summary>Waits for every thread but the calling one (a thread may dispose its own device).</summary>
    public void Join(TimeSpan each)
    {
        Thread[] threads;
        lock (_lock) threads = [.. _threads];
        foreach (var t in threads)
            if (t != Thread.CurrentThread) t.Join(each);
    }
}
