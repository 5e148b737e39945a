using System.Buffers.Binary;
using System.Text;
using WgSharp.Cli.Ifconfig;
using WgSharp.Control.Uapi;
using WgSharp.Keys;
using WgSharp.Protocol;
using WgSharp.Protocol.Cookies;
using WgSharp.Tests.Protocol;

namespace WgSharp.Tests.Robustness;

/// <summary>
/// The code the fuzzer drives, shared (as a linked source file) by the SharpFuzz harness in fuzz/ and by
/// the regression tests here, which replay the corpus and every crash the fuzzer ever found. Public API
/// only. A target must never throw: any exception escaping one is a finding.
/// </summary>
public static class FuzzTargets
{
    public static readonly string[] Names =
        ["handshake", "uapi", "ifconfig", "netstack", "uapiframe", "getreply", "metrics", "hostnameif", "wgconf", "wgset", "inner", "tun", "socks5", "http-proxy"];

    private static readonly Key ResponderPrivate = KeyGenerator.ClampPrivateKey(new Key(Enumerable.Repeat((byte)0x11, 32).ToArray()));
    private static readonly Key InitiatorPrivate = KeyGenerator.ClampPrivateKey(new Key(Enumerable.Repeat((byte)0x22, 32).ToArray()));
    private static readonly Key ResponderPublic = KeyGenerator.DerivePublicKey(ResponderPrivate);
    private static readonly Key InitiatorPublic = KeyGenerator.DerivePublicKey(InitiatorPrivate);
    private static readonly byte[] Source = [192, 0, 2, 9, 0xCA, 0x6C];
    private static readonly TimeSpan Now = TimeSpan.FromHours(1);
    private static readonly DateTimeOffset Wall = new(2025, 1, 1, 0, 0, 0, TimeSpan.Zero);

    public static void Run(string target, ReadOnlySpan<byte> input)
    {
        switch (target)
        {
            case "handshake": Handshake(input); break;
            case "uapi": Uapi(input); break;
            case "ifconfig": Ifconfig(input); break;
            case "netstack": FuzzNetstack.Run(input); break;
            case "uapiframe": FuzzParsersControl.UapiFrame(input); break;
            case "getreply": FuzzParsersControl.GetReply(input); break;
            case "metrics": FuzzParsersControl.MetricsRequest(input); break;
            case "hostnameif": FuzzParsersConfig.HostnameIf(input); break;
            case "wgconf": FuzzParsersConfig.WgConf(input); break;
            case "wgset": FuzzParsersConfig.WgSet(input); break;
            case "inner": FuzzParsersPackets.Inner(input); break;
            case "tun": FuzzParsersPackets.Tun(input); break;
            case "socks5": FuzzProxy.Socks5(input); break;
            case "http-proxy": FuzzProxy.HttpProxy(input); break;
            default: throw new ArgumentException($"unknown fuzz target {target}", nameof(target));
        }
    }

    /// <summary>
    /// First byte: mode bits. 1 = stamp a valid mac1 (so the fuzzer gets past the cheap check into Noise),
    /// 2 = under load (mac2/cookie path), 4 = a real session exists and the message's receiver index is
    /// aimed at it (transport path reaches the AEAD and replay window), 8 = our own initiation is in flight
    /// and the message's receiver index is aimed at it (response and cookie-reply paths). The rest is the datagram.
    /// </summary>
    public static void Handshake(ReadOnlySpan<byte> input)
    {
        if (input.IsEmpty) return;
        int mode = input[0];
        var message = input[1..].ToArray();
        var responder = new ProtocolEngine<object>(() => Wall, () => TimeSpan.Zero);
        responder.SetPrivateKey(ResponderPrivate);
        var peer = responder.AddPeer(InitiatorPublic, _ => new object())!;
        var reply = new byte[MessageLayout.InitiationSize];

        if ((mode & 4) != 0)
        {
            var initiator = new ProtocolEngine<object>(() => Wall, () => TimeSpan.Zero);
            initiator.SetPrivateKey(InitiatorPrivate);
            var towardsResponder = initiator.AddPeer(ResponderPublic, _ => new object())!;
            var initiation = new byte[MessageLayout.InitiationSize];
            if (towardsResponder.TryCreateInitiation(initiator, Now, Wall, false, initiation) &&
                responder.ProcessHandshake(initiation, Source, Now, false, reply).Outcome == HandshakeOutcome.ResponseWritten &&
                peer.Keypairs.Next is { } session && message.Length >= 8)
                BinaryPrimitives.WriteUInt32LittleEndian(message.AsSpan(MessageLayout.DataReceiver), session.LocalIndex);
        }
        if ((mode & 8) != 0 && message.Length >= 12)
        {
            var ours = new byte[MessageLayout.InitiationSize];
            if (peer.TryCreateInitiation(responder, Now, Wall, false, ours))
            {
                uint index = peer.Handshake.LocalIndex;
                // The receiver field sits at 8 in a response and at 4 in a cookie reply.
                BinaryPrimitives.WriteUInt32LittleEndian(message.AsSpan(message.Length == MessageLayout.CookieReplySize ? 4 : 8), index);
            }
        }
        if ((mode & 1) != 0 && message.Length is MessageLayout.InitiationSize or MessageLayout.ResponseSize)
            new CookieGenerator(ResponderPublic.AsSpan()).AddMacs(message, Now);

        responder.ProcessHandshake(message, Source, Now, underLoad: (mode & 2) != 0, reply);
        var plaintext = new byte[message.Length];
        var opened = responder.OpenTransport(message, plaintext, Now);
        if (opened.IsOk)
            opened.Peer!.OnTransportReceived(responder, opened.Keypair!, opened.IsKeepalive, Now);
    }

    /// <summary>The UAPI "set" body parser, on arbitrary text.</summary>
    public static void Uapi(ReadOnlySpan<byte> input)
    {
        var body = Encoding.UTF8.GetString(input);
        var result = UapiSetParser.Parse(body, out var update);
        if (result.IsOk != update is not null) throw new InvalidOperationException("ok without an update, or an update with an error");
    }

    /// <summary>The ifconfig argument parser: one argument per line, the first line the interface name.</summary>
    public static void Ifconfig(ReadOnlySpan<byte> input)
    {
        var lines = Encoding.UTF8.GetString(input).Split('\n');
        var ok = IfconfigParser.TryParse(lines[0], lines[1..], out var command, out var error);
        if (ok == (command is null) || ok == (error is not null)) throw new InvalidOperationException("inconsistent TryParse result");
        if (error is not null) _ = error.FullMessage;
    }
}
