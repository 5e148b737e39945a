using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using WgSharp.Crypto;
using WgSharp.Keys;
using WgSharp.Protocol;
using WgSharp.Protocol.Cookies;
using WgSharp.Protocol.Noise;
using WgSharp.Tests.Integration.Infrastructure;

namespace WgSharp.Tests.Robustness;

/// <summary>
/// The attacker of issue 11: one address that knows the target's public key sends initiations as fast as one
/// core can, every one with a valid mac1 (so each would cost a Diffie-Hellman) and garbage inside. With
/// answerCookies it also decrypts the cookie replies it gets and puts a valid mac2 on what follows, so the
/// target's cookie defence alone no longer stops it; only a per-source rate limit does.
/// </summary>
internal sealed class ValidMacFlooder : IDisposable
{
    private const int Remembered = 1 << 16; // mac1s kept to decrypt the cookie replies that answer them
    private readonly Socket _socket;
    private readonly IPEndPoint _target;
    private readonly bool _answerCookies;
    private readonly byte[] _mac1Key = new byte[32];
    private readonly byte[] _cookieKey = new byte[32];
    private readonly byte[] _sentMac1s = new byte[Remembered * MessageLayout.MacSize];
    private readonly Thread _sender;
    private readonly Thread? _receiver;
    private volatile byte[]? _cookie;
    private volatile bool _stopped;
    private long _sent, _cookiesTaken;

    public ValidMacFlooder(NetworkNamespace netns, IPEndPoint source, IPEndPoint target, Key targetPublicKey, bool answerCookies)
    {
        _target = target;
        _answerCookies = answerCookies;
        NoiseConstants.LabelKey(_mac1Key, NoiseConstants.LabelMac1, targetPublicKey.AsSpan());
        NoiseConstants.LabelKey(_cookieKey, NoiseConstants.LabelCookie, targetPublicKey.AsSpan());
        _socket = netns.Run(() =>
        {
            var s = new Socket(source.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
            s.Bind(source);
            return s;
        });
        _sender = new Thread(Flood) { IsBackground = true, Name = "flooder" };
        _sender.Start();
        if (answerCookies)
        {
            _receiver = new Thread(TakeCookies) { IsBackground = true, Name = "flooder-cookies" };
            _receiver.Start();
        }
    }

    public long Sent => Interlocked.Read(ref _sent);
    public long CookiesTaken => Interlocked.Read(ref _cookiesTaken);
    public bool HoldsCookie => _cookie is not null;

    private void Flood()
    {
        var message = RandomNumberGenerator.GetBytes(MessageLayout.InitiationSize);
        message[0] = (byte)MessageType.HandshakeInitiation;
        message[1] = message[2] = message[3] = 0;
        int mac1At = MacCalculator.Mac1Offset(message), mac2At = MacCalculator.Mac2Offset(message);
        for (uint i = 0; !_stopped; i++)
        {
            MessageLayout.WriteUInt32(message, MessageLayout.InitSender, i); // names the mac1 a cookie reply answers
            message[MessageLayout.InitEphemeral] = (byte)i;
            var mac1 = message.AsSpan(mac1At, MessageLayout.MacSize);
            MacCalculator.Mac(mac1, _mac1Key, message.AsSpan(0, mac1At));
            if (_answerCookies) mac1.CopyTo(_sentMac1s.AsSpan((int)(i % Remembered) * MessageLayout.MacSize));
            if (_cookie is { } cookie) MacCalculator.Mac(message.AsSpan(mac2At, MessageLayout.MacSize), cookie, message.AsSpan(0, mac2At));
            else message.AsSpan(mac2At).Clear();
            try { _socket.SendTo(message, _target); }
            catch (SocketException) { }
            Interlocked.Increment(ref _sent);
        }
    }

    private void TakeCookies()
    {
        var reply = new byte[256];
        EndPoint from = new IPEndPoint(IPAddress.Any, 0);
        _socket.ReceiveTimeout = 200;
        while (!_stopped)
        {
            int n;
            try { n = _socket.ReceiveFrom(reply, ref from); }
            catch (SocketException) { continue; }
            if (n != MessageLayout.CookieReplySize || reply[0] != (byte)MessageType.CookieReply) continue;
            uint answered = MessageLayout.ReadUInt32(reply, MessageLayout.CookieReceiver);
            var cookie = new byte[MessageLayout.MacSize];
            if (XChaChaPoly.Open(_cookieKey, reply.AsSpan(MessageLayout.CookieNonce, MessageLayout.CookieNonceSize),
                    reply.AsSpan(MessageLayout.CookieEncrypted, MessageLayout.CookieEncryptedSize),
                    _sentMac1s.AsSpan((int)(answered % Remembered) * MessageLayout.MacSize, MessageLayout.MacSize), cookie))
            {
                _cookie = cookie;
                Interlocked.Increment(ref _cookiesTaken);
            }
        }
    }

    public void Dispose()
    {
        _stopped = true;
        _sender.Join(TimeSpan.FromSeconds(5));
        _receiver?.Join(TimeSpan.FromSeconds(5));
        _socket.Dispose();
    }
}
