using System.Threading.Tasks.Sources;

namespace WgSharp.Netstack;

/// <summary>
/// An auto-reset signal with one asynchronous waiter at a time, reusable without allocation: the stack sets it when
/// something a socket's user waits for may have happened (data, window, a state change); the user re-checks the
/// socket after each wake-up. A set with no waiter is remembered, so a set between "check" and "wait" is not lost.
/// The waiter's continuation runs on the thread pool, unless the setter allows it to run inline (<see cref="Set(bool)"/>).
/// </summary>
internal sealed class AsyncSignal : IValueTaskSource
{
    // Completing: Set took the waiter and completes it outside the lock; the waiter's GetResult makes it Idle again.
    private const int Idle = 0, Signaled = 1, Waiting = 2, Completing = 3;

    private ManualResetValueTaskSourceCore<bool> _core = new() { RunContinuationsAsynchronously = true };
    private readonly Lock _lock = new();
    private int _state;
    private CancellationTokenRegistration _cancellation;
    private CancellationToken _waitToken;

    /// <summary>Wakes the waiter, or lets the next <see cref="WaitAsync"/> return at once. Any thread; never blocks.</summary>
    public void Set() => Set(runInline: false);

    /// <summary>
    /// As <see cref="Set()"/>; with <paramref name="runInline"/> the waiter's continuation runs on the calling thread before
    /// this returns (no thread-pool hand-off). Only for a caller that holds no lock and may run the application's code.
    /// </summary>
    public void Set(bool runInline)
    {
        lock (_lock)
        {
            if (_state != Waiting)
            {
                if (_state == Idle) _state = Signaled; // Completing: the waiter is being woken and re-checks anyway
                return;
            }
            _state = Completing;
            // Unregister, not Dispose: Dispose would wait for a callback that is itself waiting for this lock.
            _cancellation.Unregister();
        }
        // Outside the lock: an inline continuation runs here and may wait on this signal again. Nothing else touches
        // the core while Completing (a second waiter is refused, a late cancellation finds no wait).
        _core.RunContinuationsAsynchronously = !runInline;
        _core.SetResult(true);
    }

    /// <summary>
    /// Completes when <see cref="Set()"/> is (or was) called; OperationCanceledException on <paramref name="cancellationToken"/>.
    /// Only one wait may be outstanding (InvalidOperationException otherwise), as with one read on a NetworkStream.
    /// </summary>
    public ValueTask WaitAsync(CancellationToken cancellationToken = default)
    {
        lock (_lock)
        {
            if (_state == Signaled)
            {
                _state = Idle;
                return ValueTask.CompletedTask;
            }
            if (_state is Waiting or Completing) throw new InvalidOperationException("another operation of the same kind is already waiting on this socket");
            if (cancellationToken.IsCancellationRequested) return ValueTask.FromCanceled(cancellationToken);
            _core.Reset();
            _state = Waiting;
            var version = _core.Version;
            _waitToken = cancellationToken;
            if (cancellationToken.CanBeCanceled)
                _cancellation = cancellationToken.UnsafeRegister(static (state, token) => ((AsyncSignal)state!).Cancel(token), this);
            return new ValueTask(this, version);
        }
    }

    private void Cancel(CancellationToken token)
    {
        lock (_lock)
        {
            // A late callback of an earlier wait finds another token (or no wait) and does nothing.
            if (_state != Waiting || _waitToken != token) return;
            _state = Idle;
            _core.SetException(new OperationCanceledException(token));
        }
    }

    void IValueTaskSource.GetResult(short token)
    {
        lock (_lock)
        {
            if (_state == Completing) _state = Idle; // the waiter has its wake-up: the next wait may begin
        }
        _core.GetResult(token);
    }
    ValueTaskSourceStatus IValueTaskSource.GetStatus(short token) => _core.GetStatus(token);
    void IValueTaskSource.OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
        _core.OnCompleted(continuation, state, token, flags);
}
