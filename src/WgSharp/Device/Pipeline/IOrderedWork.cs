namespace WgSharp.Device.Pipeline;

/// <summary>
/// What a <see cref="CryptoPool"/> does with the elements of an <see cref="OrderedQueue{T}"/>: the
/// device implements it once for sealing (deliver = send to the peer's endpoint) and once for opening
/// (deliver = replay window, source check, write to the tunnel). The queue calls exactly one of
/// <see cref="Deliver"/> or <see cref="Discard"/> for every element it accepted.
/// </summary>
internal interface IOrderedWork<in T> where T : class
{
    /// <summary>
    /// The order-independent part (seal or open). Runs on any thread, concurrently with other
    /// elements, those of the same queue included. An exception marks the element failed (counted in
    /// <see cref="CryptoPool.Faults"/>): it is then discarded in its turn instead of delivered.
    /// </summary>
    void Process(T element);

    /// <summary>
    /// The in-order part, after <see cref="Process"/>: called in submission order per queue and never
    /// for two elements of one queue at once, on whichever thread finished the element at the head of
    /// the queue (a worker, or a submitting thread that ran the work itself). Releases the element.
    /// May run on a submitting thread inside <see cref="OrderedQueue{T}.TrySubmit"/> (with whatever lock
    /// it holds there, e.g. the peer's send lock), so it must not wait for a later submission. An
    /// exception is counted in <see cref="CryptoPool.Faults"/> and the element is considered released.
    /// </summary>
    void Deliver(T element);

    /// <summary>
    /// Releases an element that will not be delivered: its processing failed, or the pool is shut down.
    /// Same threads and order as <see cref="Deliver"/>; an exception is counted the same way.
    /// </summary>
    void Discard(T element);
}
