using WgSharp.Netstack;

namespace WgSharp;

/// <summary>
/// Waits for whichever of several <see cref="AsyncSignal"/>s is set (a listener on two families, a UDP socket bound on
/// both). Each signal takes one waiter only, so this keeps one wait per signal alive across calls (re-armed once it
/// completed) instead of one per caller: any number of callers may wait at once, and a set is never lost (the signal
/// remembers it until the next wait). Callers re-check their sockets after every wake-up.
/// </summary>
internal sealed class AnySignalWaiter(AsyncSignal[] signals, CancellationToken closing)
{
    private readonly Task?[] _waits = new Task?[signals.Length];
    private readonly Lock _lock = new();

    /// <summary>Completes when one of the signals is set or <c>closing</c> is cancelled; OperationCanceledException on <paramref name="cancellationToken"/>.</summary>
    public Task WaitAnyAsync(CancellationToken cancellationToken)
    {
        Task[] current = new Task[_waits.Length];
        lock (_lock)
        {
            for (int i = 0; i < _waits.Length; i++)
            {
                if (_waits[i] is not { IsCompleted: false }) _waits[i] = signals[i].WaitAsync(closing).AsTask();
                current[i] = _waits[i]!;
            }
        }
        // WhenAny never throws, so closing (a cancelled signal wait) is just another wake-up.
        Task any = Task.WhenAny(current);
        // Only the caller's wait is cancelled: the signal waits stay armed for the next caller.
        return cancellationToken.CanBeCanceled ? any.WaitAsync(cancellationToken) : any;
    }
}
