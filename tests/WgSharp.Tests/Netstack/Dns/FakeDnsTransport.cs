using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Net;
using System.Threading.Channels;
using WgSharp.Netstack.Dns;

namespace WgSharp.Tests.Netstack.Dns;

/// <summary>
/// DNS servers in memory: each query sent is handed to <see cref="Answer"/>, whose datagrams (none: the server stays
/// silent) come back on the channel. Records every query per server.
/// </summary>
internal sealed class FakeDnsTransport : IDnsTransport
{
    /// <summary>(server, query) → the datagrams it sends back, in order.</summary>
    public Func<IPAddress, byte[], IEnumerable<byte[]>> Answer { get; set; } = (_, _) => [];

    public ConcurrentQueue<(IPAddress Server, byte[] Query)> Queries { get; } = new();

    public int QueriesTo(IPAddress server) => Queries.Count(q => q.Server.Equals(server));

    public int OpenChannels;

    public IDnsChannel Open(IPAddress server)
    {
        Interlocked.Increment(ref OpenChannels);
        return new Channel(this, server);
    }

    /// <summary>The type (1 A, 28 AAAA) a query asks for.</summary>
    public static ushort TypeOf(byte[] query) => BinaryPrimitives.ReadUInt16BigEndian(query.AsSpan(query.Length - 4));

    private sealed class Channel(FakeDnsTransport transport, IPAddress server) : IDnsChannel
    {
        private readonly Channel<byte[]> _inbox = System.Threading.Channels.Channel.CreateUnbounded<byte[]>();

        public void Send(ReadOnlySpan<byte> query)
        {
            var copy = query.ToArray();
            transport.Queries.Enqueue((server, copy));
            foreach (var datagram in transport.Answer(server, copy)) _inbox.Writer.TryWrite(datagram);
        }

        public async ValueTask<int> ReceiveAsync(Memory<byte> buffer, CancellationToken cancellationToken)
        {
            var datagram = await _inbox.Reader.ReadAsync(cancellationToken);
            int length = Math.Min(datagram.Length, buffer.Length);
            datagram.AsSpan(0, length).CopyTo(buffer.Span);
            return length;
        }

        public void Dispose() => Interlocked.Decrement(ref transport.OpenChannels);
    }
}
