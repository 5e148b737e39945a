using System.Net;
using System.Net.Sockets;
using WgSharp.Tests.Integration.Infrastructure;

namespace WgSharp.Tests.Robustness;

/// <summary>
/// A plain UDP forwarder (client ⇄ target) that keeps a copy of every datagram the client sent, so a
/// test can replay or tamper with real WireGuard messages as an on-path attacker would.
/// </summary>
internal sealed class CapturingForwarder : IDisposable
{
    private readonly Socket _front, _back;
    private readonly IPEndPoint _target;
    private readonly List<byte[]> _captured = [];
    private readonly Thread[] _threads;
    private IPEndPoint? _client;
    private volatile bool _stopped;

    public CapturingForwarder(NetworkNamespace netns, IPEndPoint listen, IPEndPoint target)
    {
        _target = target;
        (_front, _back) = netns.Run(() =>
        {
            var front = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
            front.Bind(listen);
            var back = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
            back.Bind(new IPEndPoint(listen.Address, 0));
            return (front, back);
        });
        ListenEndPoint = (IPEndPoint)_front.LocalEndPoint!;
        BackEndPoint = (IPEndPoint)_back.LocalEndPoint!;
        _threads = [new Thread(() => Pump(toTarget: true)) { IsBackground = true }, new Thread(() => Pump(toTarget: false)) { IsBackground = true }];
        foreach (var t in _threads) t.Start();
    }

    public IPEndPoint ListenEndPoint { get; }
    /// <summary>The address the target sees the client's datagrams coming from.</summary>
    public IPEndPoint BackEndPoint { get; }

    /// <summary>Copies of the datagrams the client sent so far, in order.</summary>
    public List<byte[]> Captured { get { lock (_captured) return [.. _captured]; } }

    private void Pump(bool toTarget)
    {
        var socket = toTarget ? _front : _back;
        var buffer = new byte[65536];
        EndPoint from = new IPEndPoint(IPAddress.Any, 0);
        while (!_stopped)
        {
            try
            {
                int n = socket.ReceiveFrom(buffer, ref from);
                if (toTarget)
                {
                    lock (_captured)
                    {
                        _client = (IPEndPoint)from;
                        _captured.Add(buffer[..n]);
                    }
                    _back.SendTo(buffer.AsSpan(0, n), _target);
                }
                else if (_client is { } client)
                {
                    _front.SendTo(buffer.AsSpan(0, n), client);
                }
            }
            catch (Exception e) when (e is SocketException or ObjectDisposedException)
            {
                if (_stopped) return;
            }
        }
    }

    public void Dispose()
    {
        _stopped = true;
        _front.Dispose();
        _back.Dispose();
        foreach (var t in _threads) t.Join(TimeSpan.FromSeconds(5));
    }
}
