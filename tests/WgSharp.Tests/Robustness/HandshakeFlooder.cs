using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using WgSharp.Keys;
using WgSharp.Protocol;
using WgSharp.Protocol.Cookies;
using WgSharp.Tests.Integration.Infrastructure;

namespace WgSharp.Tests.Robustness;

/// <summary>
/// Sends forged handshake initiations at a fixed rate from a socket in a test namespace: most carry a valid
/// mac1 for the target's public key (so they pass the cheap check and would cost the target a Diffie-Hellman
/// each) but come from random, unknown static keys; the rest are random garbage of the right size.
/// </summary>
internal sealed class HandshakeFlooder : IDisposable
{
    private const int BurstsPerSecond = 10;
    private readonly Socket _socket;
    private readonly IPEndPoint _target;
    private readonly byte[][] _messages;
    private readonly int _packetsPerSecond;
    private readonly Thread _thread;
    private volatile bool _stopped;
    private long _sent;

    public HandshakeFlooder(NetworkNamespace netns, IPEndPoint source, IPEndPoint target, Key targetPublicKey, int packetsPerSecond, int distinctMessages = 4096)
    {
        _target = target;
        _packetsPerSecond = packetsPerSecond;
        _socket = netns.Run(() =>
        {
            var s = new Socket(source.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
            s.Bind(source);
            return s;
        });
        var macs = new CookieGenerator(targetPublicKey.AsSpan());
        _messages = new byte[distinctMessages][];
        for (int i = 0; i < distinctMessages; i++)
        {
            var message = RandomNumberGenerator.GetBytes(MessageLayout.InitiationSize);
            message[0] = (byte)MessageType.HandshakeInitiation;
            message[1] = message[2] = message[3] = 0;
            if (i % 4 != 3) macs.AddMacs(message, TimeSpan.Zero); // valid mac1, garbage inside
            _messages[i] = message;
        }
        _thread = new Thread(Flood) { IsBackground = true, Name = "flooder" };
        _thread.Start();
    }

    public long Sent => Interlocked.Read(ref _sent);

    private void Flood()
    {
        var clock = Stopwatch.StartNew();
        long i = 0;
        while (!_stopped)
        {
            // Paced at the configured rate, but each tenth of a second's quota goes out at once: a burst
            // outruns one handshake worker however fast its Diffie-Hellman is on this machine, so the
            // target's queue fills and it must switch to cookies (evenly paced, a fast CPU kept up).
            long due = ((long)(clock.Elapsed.TotalSeconds * BurstsPerSecond) + 1) * _packetsPerSecond / BurstsPerSecond;
            if (i >= due)
            {
                Thread.Sleep(1);
                continue;
            }
            for (; i < due && !_stopped; i++)
            {
                try { _socket.SendTo(_messages[i % _messages.Length], _target); }
                catch (SocketException) { }
                Interlocked.Increment(ref _sent);
            }
        }
    }

    public void Dispose()
    {
        _stopped = true;
        _thread.Join(TimeSpan.FromSeconds(5));
        _socket.Dispose();
    }
}
