using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace WgSharp.Tests.Integration.Infrastructure;

/// <summary>
/// A userspace UDP forwarder with fault injection, for robustness tests: datagrams arriving on the
/// listening socket go to the target from a second socket, and the target's answers go back to the
/// last client seen. Both directions pass through <see cref="Faults"/> (drop, duplicate, reorder, delay).
/// Optionally lives in a test namespace.
/// </summary>
internal sealed class UdpRelay : IDisposable
{
    private readonly Socket _front; // faces the client
    private readonly Socket _back;  // faces the target
    private readonly IPEndPoint _target;
    private readonly Thread[] _threads;
    private readonly object _gate = new();
    private readonly PriorityQueue<Pending, long> _queue = new();
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private Random _random;
    private UdpFaults _faults;
    private IPEndPoint? _client;
    private volatile bool _stopped;
    private long _sequence;

    private readonly record struct Pending(byte[] Data, bool ToTarget);

    public UdpRelay(IPEndPoint listen, IPEndPoint target, UdpFaults? faults = null, NetworkNamespace? netns = null)
    {
        _target = target;
        _faults = faults ?? UdpFaults.None;
        _random = new Random(_faults.Seed);
        (_front, _back) = netns == null ? OpenSockets(listen, target) : netns.Run(() => OpenSockets(listen, target));
        ListenEndPoint = (IPEndPoint)_front.LocalEndPoint!;
        _threads =
        [
            new Thread(() => Pump(_front, toTarget: true)) { IsBackground = true, Name = "relay-in" },
            new Thread(() => Pump(_back, toTarget: false)) { IsBackground = true, Name = "relay-out" },
            new Thread(Dispatch) { IsBackground = true, Name = "relay-dispatch" },
        ];
        foreach (var thread in _threads)
            thread.Start();
    }

    private static (Socket, Socket) OpenSockets(IPEndPoint listen, IPEndPoint target)
    {
        var front = new Socket(listen.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        var back = new Socket(target.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        front.Bind(listen);
        back.Bind(new IPEndPoint(target.AddressFamily == AddressFamily.InterNetwork ? IPAddress.Any : IPAddress.IPv6Any, 0));
        return (front, back);
    }

    /// <summary>The address clients send to (with the actual port when 0 was asked for).</summary>
    public IPEndPoint ListenEndPoint { get; }

    /// <summary>Current fault settings; replacing them also reseeds the generator.</summary>
    public UdpFaults Faults
    {
        get { lock (_gate) return _faults; }
        set
        {
            lock (_gate)
            {
                _faults = value;
                _random = new Random(value.Seed);
            }
        }
    }

    public long Received => Interlocked.Read(ref _received);
    public long Forwarded => Interlocked.Read(ref _forwarded);
    public long Dropped => Interlocked.Read(ref _dropped);
    public long Duplicated => Interlocked.Read(ref _duplicated);
    public long Reordered => Interlocked.Read(ref _reordered);
    private long _received, _forwarded, _dropped, _duplicated, _reordered;

    private void Pump(Socket socket, bool toTarget)
    {
        var buffer = new byte[65536];
        EndPoint from = new IPEndPoint(socket.AddressFamily == AddressFamily.InterNetwork ? IPAddress.Any : IPAddress.IPv6Any, 0);
        while (!_stopped)
        {
            int length;
            try
            {
                length = socket.ReceiveFrom(buffer, ref from);
            }
            catch (Exception e) when (e is SocketException or ObjectDisposedException)
            {
                if (_stopped)
                    return;
                continue;
            }
            Interlocked.Increment(ref _received);
            if (toTarget)
            {
                lock (_gate)
                    _client = (IPEndPoint)from;
            }
            else if (!((IPEndPoint)from).Equals(_target))
            {
                continue; // only the target may answer through the relay
            }
            Schedule(buffer.AsSpan(0, length).ToArray(), toTarget);
        }
    }

    private void Schedule(byte[] data, bool toTarget)
    {
        lock (_gate)
        {
            var faults = _faults;
            if (_random.NextDouble() < faults.DropRate)
            {
                _dropped++;
                return;
            }
            var copies = _random.NextDouble() < faults.DuplicateRate ? 2 : 1;
            if (copies == 2)
                _duplicated++;
            for (var i = 0; i < copies; i++)
            {
                var delay = faults.Delay;
                if (faults.Jitter > TimeSpan.Zero)
                    delay += faults.Jitter * _random.NextDouble();
                if (_random.NextDouble() < faults.ReorderRate)
                {
                    delay += faults.ReorderDelay;
                    _reordered++;
                }
                var due = _clock.Elapsed.Ticks + delay.Ticks;
                // The sequence number keeps equal due times in arrival order.
                _queue.Enqueue(new Pending(data, toTarget), due * 64 + (_sequence++ & 63));
            }
            Monitor.PulseAll(_gate);
        }
    }

    private void Dispatch()
    {
        while (true)
        {
            Pending item;
            IPEndPoint? destination;
            lock (_gate)
            {
                while (true)
                {
                    if (_stopped)
                        return;
                    if (_queue.TryPeek(out _, out var key))
                    {
                        var wait = TimeSpan.FromTicks(key / 64 - _clock.Elapsed.Ticks);
                        if (wait <= TimeSpan.Zero)
                            break;
                        Monitor.Wait(_gate, wait);
                    }
                    else
                    {
                        Monitor.Wait(_gate);
                    }
                }
                item = _queue.Dequeue();
                destination = item.ToTarget ? _target : _client;
            }
            if (destination == null)
                continue;
            try
            {
                (item.ToTarget ? _back : _front).SendTo(item.Data, destination);
                Interlocked.Increment(ref _forwarded);
            }
            catch (Exception e) when (e is SocketException or ObjectDisposedException)
            {
                if (_stopped)
                    return;
            }
        }
    }

    public void Dispose()
    {
        lock (_gate)
        {
            if (_stopped)
                return;
            _stopped = true;
            Monitor.PulseAll(_gate);
        }
        _front.Dispose();
        _back.Dispose();
        foreach (var thread in _threads)
            thread.Join(TimeSpan.FromSeconds(5));
    }
}
