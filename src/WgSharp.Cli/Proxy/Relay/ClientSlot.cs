namespace WgSharp.Cli.Proxy.Relay;

/// <summary>
/// One admitted client of a <see cref="ClientSet"/>: its token (cancelled when the service stops or the slot is taken
/// back) and whether it is still in a handshake phase, the only time a full service may take the slot back for a
/// newcomer. A flood of clients that connect and never finish their handshake so cannot lock honest clients out for
/// the whole handshake timeout (the slowloris defence, as the TCP stack recycles its oldest half-open connection).
/// </summary>
internal sealed class ClientSlot : IDisposable
{
    private readonly CancellationTokenSource _cancel;
    private int _handshakes;
    private int _admissionPhase; // 1 until the first handshake phase begins: a client is evictable from the moment it is admitted

    internal ClientSlot(long order, CancellationToken stopping, bool startsInHandshake)
    {
        Order = order;
        _cancel = CancellationTokenSource.CreateLinkedTokenSource(stopping);
        if (startsInHandshake) _handshakes = _admissionPhase = 1;
    }

    /// <summary>Admission order: the lowest in a handshake is taken back first.</summary>
    internal long Order { get; }

    /// <summary>Cancelled when the service stops or this slot was taken back.</summary>
    public CancellationToken Stopping => _cancel.Token;

    /// <summary>In a handshake phase now (and not taken back already).</summary>
    internal bool Evictable => Volatile.Read(ref _handshakes) > 0 && !IsEvicted;

    /// <summary>Taken back for a newcomer (set under the set's lock).</summary>
    internal bool IsEvicted { get; private set; }

    /// <summary>
    /// A handshake phase begins: its token is cancelled after <paramref name="timeout"/>, when the service stops or when a
    /// full service takes the slot back; disposing it ends the phase (the client is then being served and keeps its slot).
    /// </summary>
    public HandshakePhase BeginHandshake(TimeSpan timeout)
    {
        // The first phase takes over the admission phase's count; later ones (a drain after a response) add their own.
        if (Interlocked.Exchange(ref _admissionPhase, 0) == 0) Interlocked.Increment(ref _handshakes);
        return new HandshakePhase(this, timeout);
    }

    internal void MarkEvicted() => IsEvicted = true;

    /// <summary>Ends the client's work (outside the set's lock: cancellation runs callbacks).</summary>
    internal void Cancel()
    {
        try { _cancel.Cancel(); }
        catch (ObjectDisposedException) { } // the client ended on its own meanwhile
    }

    public void Dispose() => _cancel.Dispose();

    /// <summary>A client's handshake phase, with its deadline.</summary>
    public sealed class HandshakePhase : IDisposable
    {
        private readonly ClientSlot _slot;
        private readonly CancellationTokenSource _deadline;
        private int _disposed;

        internal HandshakePhase(ClientSlot slot, TimeSpan timeout)
        {
            _slot = slot;
            _deadline = CancellationTokenSource.CreateLinkedTokenSource(slot.Stopping);
            _deadline.CancelAfter(timeout);
        }

        /// <summary>Cancelled at the deadline, when the service stops or when the slot is taken back.</summary>
        public CancellationToken Token => _deadline.Token;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
            Interlocked.Decrement(ref _slot._handshakes);
            _deadline.Dispose();
        }
    }
}
