using System.Security.Cryptography;
using WgSharp.Crypto;

namespace WgSharp.Protocol.Transport;

/// <summary>
/// One session's transport keys (whitepaper 5.4.6): a send key with its nonce counter and a
/// receive key with its replay window. Sealing and opening are thread-safe (the AEAD is a
/// stateless one-shot over pinned key bytes), so many workers can use one keypair at once.
/// </summary>
internal sealed class Keypair
{
    private readonly byte[] _sendKey = GC.AllocateArray<byte>(ChaChaPoly.KeySize, pinned: true);
    private readonly byte[] _receiveKey = GC.AllocateArray<byte>(ChaChaPoly.KeySize, pinned: true);
    private readonly Lock _replayLock = new();
    private ReplayWindow _replay = new();
    private long _nextSendCounter;
    private volatile bool _zeroed;

    public Keypair(ReadOnlySpan<byte> sendKey, ReadOnlySpan<byte> receiveKey, bool isInitiator,
        uint localIndex, uint remoteIndex, TimeSpan created)
    {
        sendKey.CopyTo(_sendKey);
        receiveKey.CopyTo(_receiveKey);
        IsInitiator = isInitiator;
        LocalIndex = localIndex;
        RemoteIndex = remoteIndex;
        Created = created;
    }

    public bool IsInitiator { get; }
    public uint LocalIndex { get; }
    public uint RemoteIndex { get; }
    /// <summary>Monotonic time the keys were derived.</summary>
    public TimeSpan Created { get; }
    public bool IsZeroed => _zeroed;

    /// <summary>How many counters have been handed out for sending.</summary>
    public ulong SendCounter => (ulong)Interlocked.Read(ref _nextSendCounter);

    /// <summary>Reserves the next send counter; false once REJECT_AFTER_MESSAGES is reached.</summary>
    public bool TryReserveCounter(out ulong counter) => TryReserveCounters(1, out counter);

    /// <summary>Largest run of counters one reservation may take (keeps the sum far from wrapping 2^64).</summary>
    public const int MaxCountersPerReservation = 4096;

    /// <summary>
    /// Reserves count consecutive send counters with one atomic step, the first in first; false when
    /// the run would reach REJECT_AFTER_MESSAGES (no counter of it may be used) or the keys are wiped.
    /// </summary>
    public bool TryReserveCounters(int count, out ulong first)
    {
        if (count < 1 || count > MaxCountersPerReservation) throw new ArgumentOutOfRangeException(nameof(count));
        ulong next = unchecked((ulong)Interlocked.Add(ref _nextSendCounter, count));
        first = next - (ulong)count;
        if (next > ProtocolConstants.RejectAfterMessages)
        {
            Interlocked.Exchange(ref _nextSendCounter, unchecked((long)ProtocolConstants.RejectAfterMessages));
            return false;
        }
        return !_zeroed;
    }

    /// <summary>True when this keypair may still be used to send at time now.</summary>
    public bool IsValidForSending(TimeSpan now) =>
        !_zeroed && now - Created < ProtocolConstants.RejectAfterTime && SendCounter < ProtocolConstants.RejectAfterMessages;

    /// <summary>True when packets received under this keypair may still be accepted at time now.</summary>
    public bool IsValidForReceiving(TimeSpan now) => !_zeroed && now - Created < ProtocolConstants.RejectAfterTime;

    public void Seal(ulong counter, ReadOnlySpan<byte> plaintext, Span<byte> destination) =>
        ChaChaPoly.Seal(_sendKey, counter, plaintext, ReadOnlySpan<byte>.Empty, destination);

    /// <summary>
    /// Authenticates and decrypts. Checked for zeroing before and after, so a packet forged under an
    /// all-zero key while <see cref="Zero"/> races with us is never accepted.
    /// </summary>
    public bool Open(ulong counter, ReadOnlySpan<byte> ciphertextAndTag, Span<byte> destination) =>
        !_zeroed && ChaChaPoly.Open(_receiveKey, counter, ciphertextAndTag, ReadOnlySpan<byte>.Empty, destination) && !_zeroed;

    /// <summary>Records an authenticated counter; false for a replay or one too old for the window.</summary>
    public bool AcceptCounter(ulong counter)
    {
        lock (_replayLock) return _replay.TryAccept(counter, ProtocolConstants.RejectAfterMessages);
    }

    /// <summary>Wipes the keys; the keypair can no longer seal or open.</summary>
    public void Zero()
    {
        _zeroed = true;
        // The flag must be visible before any key byte changes: Seal and Open re-check it afterwards.
        Interlocked.MemoryBarrier();
        CryptographicOperations.ZeroMemory(_sendKey);
        CryptographicOperations.ZeroMemory(_receiveKey);
    }
}
