using System.Buffers.Binary;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;

namespace WgSharp.Tests.Userspace;

/// <summary>
/// A UDP echo round trip a test can trust on a path that should not lose anything: numbered datagrams of random
/// content, at most <see cref="Window"/> unanswered at once (pacing, so no queue on the way overflows), a datagram
/// unanswered for <see cref="RetransmitAfter"/> sent again (counted, so a lossy path shows in the result instead of
/// failing the run), and what came back compared with what was sent: per datagram and as one hash of all, in order.
/// </summary>
internal sealed class ProxyUdpEchoExchange
{
    public const int Window = 64;
    private const int SequenceBytes = 4;
    private static readonly TimeSpan RetransmitAfter = TimeSpan.FromMilliseconds(500);

    private readonly Socket _socket;
    private readonly EndPoint _to;
    private readonly Func<byte[], byte[]> _wrap;
    private readonly Func<byte[], int, ArraySegment<byte>?> _unwrap;

    /// <param name="socket">The client's socket (bound).</param>
    /// <param name="to">Where each datagram is sent (the SOCKS5 relay, the forward's port...).</param>
    /// <param name="wrap">The datagram that carries a payload (a SOCKS5 header in front, or the payload itself).</param>
    /// <param name="unwrap">The payload of a received datagram (its first N bytes), or null for one that is not an answer.</param>
    public ProxyUdpEchoExchange(Socket socket, EndPoint to, Func<byte[], byte[]>? wrap = null, Func<byte[], int, ArraySegment<byte>?>? unwrap = null)
    {
        _socket = socket;
        _to = to;
        _wrap = wrap ?? (payload => payload);
        _unwrap = unwrap ?? ((buffer, length) => new ArraySegment<byte>(buffer, 0, length));
    }

    /// <summary>What one run saw.</summary>
    internal sealed record Result(int Sent, int Answered, int Retransmits, int Duplicates, int Mismatched, bool HashesEqual, TimeSpan Elapsed)
    {
        public override string ToString() =>
            $"{Answered}/{Sent} answered, {Retransmits} retransmits, {Duplicates} duplicates, {Mismatched} mismatched, hashes {(HashesEqual ? "equal" : "differ")}, {Elapsed.TotalSeconds:F1} s";
    }

    /// <summary>Sends <paramref name="count"/> datagrams of <paramref name="size"/> payload bytes until each was answered or <paramref name="giveUp"/> passed.</summary>
    public Result Run(int count, int size, TimeSpan giveUp)
    {
        var payloads = new byte[count][];
        for (int i = 0; i < count; i++)
        {
            payloads[i] = RandomNumberGenerator.GetBytes(size);
            BinaryPrimitives.WriteInt32BigEndian(payloads[i], i);
        }
        var answers = new byte[count][];
        var sentAt = new long[count];
        int next = 0, oldest = 0, outstanding = 0, answered = 0, retransmits = 0, duplicates = 0, mismatched = 0;
        var buffer = new byte[65536];
        var clock = Stopwatch.StartNew();
        EndPoint from = new IPEndPoint(_to.AddressFamily == AddressFamily.InterNetworkV6 ? IPAddress.IPv6Any : IPAddress.Any, 0);

        while (answered < count && clock.Elapsed < giveUp)
        {
            while (next < count && outstanding < Window)
            {
                Send(payloads[next]);
                sentAt[next] = Stopwatch.GetTimestamp();
                next++;
                outstanding++;
            }
            if (_socket.Poll(TimeSpan.FromMilliseconds(100), SelectMode.SelectRead))
            {
                int length;
                try { length = _socket.ReceiveFrom(buffer, ref from); }
                catch (SocketException) { continue; } // an ICMP error for an earlier datagram
                if (_unwrap(buffer, length) is not { Count: >= SequenceBytes } payload) continue;
                int sequence = BinaryPrimitives.ReadInt32BigEndian(payload);
                if (sequence < 0 || sequence >= next) continue;
                if (answers[sequence] is not null)
                {
                    duplicates++;
                    continue;
                }
                answers[sequence] = payload.ToArray();
                if (!payload.AsSpan().SequenceEqual(payloads[sequence])) mismatched++;
                answered++;
                outstanding--;
                continue;
            }
            while (oldest < next && answers[oldest] is not null) oldest++;
            for (int i = oldest; i < next; i++)
            {
                if (answers[i] is not null || Stopwatch.GetElapsedTime(sentAt[i]) < RetransmitAfter) continue;
                Send(payloads[i]);
                sentAt[i] = Stopwatch.GetTimestamp();
                retransmits++;
            }
        }
        return new Result(count, answered, retransmits, duplicates, mismatched, HashOfAll(payloads).SequenceEqual(HashOfAll(answers)), clock.Elapsed);
    }

    private void Send(byte[] payload)
    {
        try { _socket.SendTo(_wrap(payload), _to); }
        catch (SocketException) { } // a full queue or an ICMP error: the retransmit covers it
    }

    private static byte[] HashOfAll(byte[]?[] datagrams)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        foreach (var datagram in datagrams)
            if (datagram is not null) hash.AppendData(datagram);
        return hash.GetHashAndReset();
    }
}
