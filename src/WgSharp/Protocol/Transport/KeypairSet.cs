namespace WgSharp.Protocol.Transport;

/// <summary>
/// A peer's previous, current and next keypairs and the rules that rotate them: an initiator
/// uses a new session at once; a responder keeps it as "next" until the initiator proves it has
/// the keys by sending data with it (whitepaper 5.4.6, "key confirmation").
/// Returns every keypair it drops so the caller can unregister its index.
/// </summary>
internal sealed class KeypairSet
{
    private readonly Lock _lock = new();
    private Keypair? _previous;
    private Keypair? _current;
    private Keypair? _next;

    public Keypair? Current { get { lock (_lock) return _current; } }
    public Keypair? Previous { get { lock (_lock) return _previous; } }
    public Keypair? Next { get { lock (_lock) return _next; } }

    /// <summary>Installs a freshly derived keypair; dropped ones are added to dropped (already zeroed).</summary>
    public void Install(Keypair keypair, List<Keypair> dropped)
    {
        lock (_lock)
        {
            if (keypair.IsInitiator)
            {
                if (_next is not null)
                {
                    // The unconfirmed next becomes previous so late packets under it still decrypt.
                    Drop(_previous, dropped);
                    Drop(_current, dropped);
                    _previous = _next;
                    _next = null;
                }
                else
                {
                    Drop(_previous, dropped);
                    _previous = _current;
                }
                _current = keypair;
            }
            else
            {
                Drop(_next, dropped);
                Drop(_previous, dropped);
                _next = keypair;
                _previous = null;
            }
        }
    }

    /// <summary>
    /// Called after a packet authenticated under keypair: if it was "next", the session is
    /// confirmed and rotates in. Returns true when it did.
    /// </summary>
    public bool ConfirmIfNext(Keypair keypair, out Keypair? dropped)
    {
        dropped = null;
        if (!ReferenceEquals(Volatile.Read(ref _next), keypair)) return false; // the per-packet fast path takes no lock
        lock (_lock)
        {
            if (!ReferenceEquals(_next, keypair)) return false;
            if (_previous is not null) { _previous.Zero(); dropped = _previous; }
            _previous = _current;
            _current = _next;
            _next = null;
            return true;
        }
    }

    /// <summary>Drops all keypairs (key zeroing after 3 x REJECT_AFTER_TIME, or peer removal).</summary>
    public void Clear(List<Keypair> dropped)
    {
        lock (_lock)
        {
            Drop(_previous, dropped);
            Drop(_current, dropped);
            Drop(_next, dropped);
            _previous = _current = _next = null;
        }
    }

    private static void Drop(Keypair? keypair, List<Keypair> dropped)
    {
        if (keypair is null) return;
        keypair.Zero();
        dropped.Add(keypair);
    }
}
