using System.Net;
using System.Text;

namespace WgSharp.Cli.Proxy.Socks5;

/// <summary>
/// Turns the destination of a client's UDP datagram into an <see cref="IPEndPoint"/> without allocating for the usual
/// case (the same destinations again and again): the last IP destination is reused while it matches byte for byte, and
/// names are resolved through the tunnel and kept (a few, for a short while, failures too so a bad name cannot make
/// every datagram wait on DNS).
/// </summary>
internal sealed class Socks5DestinationCache(WireGuardNetwork network, TimeProvider time)
{
    private const int MaxNames = 32;
    private static readonly TimeSpan NameLifetime = TimeSpan.FromSeconds(60), FailureLifetime = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan ResolveTimeout = TimeSpan.FromSeconds(10);

    private readonly byte[] _lastAddress = new byte[16];
    private int _lastLength;
    private IPEndPoint? _last;
    private readonly List<NameEntry> _names = [];

    private sealed class NameEntry(byte[] name, ushort port, IPEndPoint? destination, long expires)
    {
        public byte[] Name { get; } = name;
        public ushort Port { get; } = port;
        public IPEndPoint? Destination { get; } = destination;
        public long Expires { get; } = expires;
    }

    /// <summary>The destination; null when the name does not resolve (the datagram is dropped).</summary>
    public ValueTask<IPEndPoint?> ResolveAsync(ReadOnlyMemory<byte> datagram, Socks5Address address, CancellationToken ct)
    {
        var bytes = datagram.Span.Slice(address.Offset, address.Length);
        if (address.Type != Socks5Protocol.AddressDomain)
        {
            if (_last is null || _last.Port != address.Port || !bytes.SequenceEqual(_lastAddress.AsSpan(0, _lastLength)))
            {
                _last = new IPEndPoint(new IPAddress(bytes), address.Port);
                bytes.CopyTo(_lastAddress);
                _lastLength = bytes.Length;
            }
            return new ValueTask<IPEndPoint?>(_last);
        }
        long now = time.GetTimestamp();
        foreach (var entry in _names)
        {
            if (entry.Port == address.Port && bytes.SequenceEqual(entry.Name) && now < entry.Expires) return new ValueTask<IPEndPoint?>(entry.Destination);
        }
        return ResolveNameAsync(bytes.ToArray(), address.Port, ct);
    }

    private async ValueTask<IPEndPoint?> ResolveNameAsync(byte[] name, ushort port, CancellationToken ct)
    {
        IPEndPoint? destination = null;
        foreach (byte b in name)
            if (b is <= 0x20 or >= 0x7f) return null;
        if (port != 0)
        {
            using var deadline = CancellationTokenSource.CreateLinkedTokenSource(ct);
            deadline.CancelAfter(ResolveTimeout);
            try
            {
                var addresses = await network.ResolveAsync(Encoding.ASCII.GetString(name), deadline.Token).ConfigureAwait(false);
                if (addresses.Length > 0) destination = new IPEndPoint(addresses[0], port);
            }
            catch (Exception e) when (e is System.Net.Sockets.SocketException || (e is OperationCanceledException && !ct.IsCancellationRequested))
            {
                // does not resolve: remembered as such for a little while
            }
        }
        long expires = time.GetTimestamp() + (long)((destination is null ? FailureLifetime : NameLifetime).TotalSeconds * time.TimestampFrequency);
        _names.RemoveAll(e => e.Port == port && e.Name.AsSpan().SequenceEqual(name));
        if (_names.Count >= MaxNames) _names.RemoveAt(0); // the oldest
        _names.Add(new NameEntry(name, port, destination, expires));
        return destination;
    }
}
