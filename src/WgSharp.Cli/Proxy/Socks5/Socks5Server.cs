using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using WgSharp.Cli.Proxy.Relay;

namespace WgSharp.Cli.Proxy.Socks5;

/// <summary>
/// A SOCKS5 server (RFC 1928) on a host socket: CONNECT and UDP ASSOCIATE into the tunnel, names resolved by the
/// tunnel's DNS servers, username/password (RFC 1929) as the only method when credentials are configured. BIND is
/// refused (0x07). A client that does not speak SOCKS5 is closed (after the 0xFF method reply when its greeting was
/// whole but offered no acceptable method) and counted refused.
/// </summary>
internal sealed class Socks5Server(ProxyServiceSpec spec, ProxyContext context) : HostTcpService(spec, context)
{
    private readonly byte[]? _userName = context.Credentials is { } c ? Encoding.UTF8.GetBytes(c.UserName) : null;
    private readonly byte[]? _password = context.Credentials is { } c ? Encoding.UTF8.GetBytes(c.Password) : null;

    /// <summary>The clock of the UDP associations' name cache; the system clock by default.</summary>
    internal TimeProvider Time { get; init; } = TimeProvider.System;

    protected override async Task ServeClientAsync(Socket client, ClientSlot slot)
    {
        var stopping = slot.Stopping;
        var buffer = new HandshakeBuffer(Socks5Protocol.MaxHandshakeMessage);
        EndPoint? address;
        byte command;
        using (var deadline = HandshakeDeadline(slot))
        {
            if (!await NegotiateAsync(client, buffer, deadline.Token).ConfigureAwait(false)) return;
            (command, address) = await ReadRequestAsync(client, buffer, deadline.Token).ConfigureAwait(false);
        }
        switch (command)
        {
            case Socks5Protocol.CommandConnect:
                await ConnectAsync(client, buffer, address, stopping).ConfigureAwait(false);
                break;
            case Socks5Protocol.CommandUdpAssociate:
                var association = new Socks5UdpAssociation(this, client, address);
                await association.RunAsync(stopping).ConfigureAwait(false);
                break;
            default:
                await RefuseAsync(client, Socks5Protocol.ReplyCommandNotSupported, command == Socks5Protocol.CommandBind ? "BIND refused" : $"command {command} not supported").ConfigureAwait(false);
                break;
        }
    }

    /// <summary>Method selection and, when configured, authentication; false when the client was refused.</summary>
    private async Task<bool> NegotiateAsync(Socket client, HandshakeBuffer buffer, CancellationToken ct)
    {
        while (true)
        {
            var parse = Socks5Protocol.ParseGreeting(buffer.Unread, out int consumed, out bool noAuth, out bool userPass);
            if (parse == Socks5Parse.Complete)
            {
                buffer.Consume(consumed);
                byte method = _userName is null
                    ? (noAuth ? Socks5Protocol.MethodNoAuth : Socks5Protocol.MethodNoneAcceptable)
                    : (userPass ? Socks5Protocol.MethodUserPass : Socks5Protocol.MethodNoneAcceptable);
                await client.SendAsync(new byte[] { Socks5Protocol.Version, method }, SocketFlags.None, ct).ConfigureAwait(false);
                if (method == Socks5Protocol.MethodNoneAcceptable) throw Refused("no acceptable authentication method offered");
                return method == Socks5Protocol.MethodNoAuth || await AuthenticateAsync(client, buffer, ct).ConfigureAwait(false);
            }
            if (parse != Socks5Parse.Incomplete) throw Refused("not a SOCKS5 greeting");
            if (!await buffer.FillAsync(client, ct).ConfigureAwait(false)) throw Refused("greeting cut short");
        }
    }

    private async Task<bool> AuthenticateAsync(Socket client, HandshakeBuffer buffer, CancellationToken ct)
    {
        while (true)
        {
            var parse = Socks5Protocol.ParseUserPass(buffer.Unread, out int consumed, out var user, out var password);
            if (parse == Socks5Parse.Complete)
            {
                // Both compared in full whatever the first gives, in time independent of the contents.
                bool userOk = CryptographicOperations.FixedTimeEquals(buffer.Unread[user], _userName);
                bool passwordOk = CryptographicOperations.FixedTimeEquals(buffer.Unread[password], _password);
                buffer.Consume(consumed);
                bool ok = userOk & passwordOk;
                await client.SendAsync(new byte[] { Socks5Protocol.AuthVersion, ok ? Socks5Protocol.AuthSucceeded : Socks5Protocol.AuthFailed }, SocketFlags.None, ct).ConfigureAwait(false);
                if (!ok) throw Refused("wrong username or password");
                return true;
            }
            if (parse != Socks5Parse.Incomplete) throw Refused("not an RFC 1929 authentication");
            if (!await buffer.FillAsync(client, ct).ConfigureAwait(false)) throw Refused("authentication cut short");
        }
    }

    /// <summary>The request's command and destination (null when the destination cannot be one: port 0 of a name, a name of odd bytes).</summary>
    private async Task<(byte Command, EndPoint? Destination)> ReadRequestAsync(Socket client, HandshakeBuffer buffer, CancellationToken ct)
    {
        while (true)
        {
            var parse = Socks5Protocol.ParseRequest(buffer.Unread, out int consumed, out byte command, out var address);
            switch (parse)
            {
                case Socks5Parse.Complete:
                    var destination = address.ToEndPoint(buffer.Unread);
                    buffer.Consume(consumed);
                    return (command, destination);
                case Socks5Parse.BadAddressType:
                    await RefuseAsync(client, Socks5Protocol.ReplyAddressTypeNotSupported, "address type not supported").ConfigureAwait(false);
                    return (0, null); // not reached: RefuseAsync throws
                case Socks5Parse.Incomplete:
                    if (!await buffer.FillAsync(client, ct).ConfigureAwait(false)) throw Refused("request cut short");
                    break;
                default:
                    throw Refused("not a SOCKS5 request");
            }
        }
    }

    private async Task ConnectAsync(Socket client, HandshakeBuffer buffer, EndPoint? destination, CancellationToken stopping)
    {
        if (destination is null) await RefuseAsync(client, Socks5Protocol.ReplyGeneralFailure, "no usable destination").ConfigureAwait(false);
        TunnelStream tunnel;
        try
        {
            tunnel = await TunnelConnector.ConnectAsync(Context.Network, destination!, Context.Limits.ConnectTimeout, stopping).ConfigureAwait(false);
        }
        catch (Exception e) when (!stopping.IsCancellationRequested)
        {
            var failure = TargetFailures.Classify(e);
            await RefuseAsync(client, ReplyFor(failure), $"{TunnelConnector.Describe(destination!)}: {TargetFailures.Describe(failure)}").ConfigureAwait(false);
            return; // not reached
        }
        await using (tunnel.ConfigureAwait(false))
        {
            try
            {
                await SendReplyAsync(client, Socks5Protocol.ReplySucceeded, tunnel.LocalEndPoint, stopping).ConfigureAwait(false);
                // Bytes a client sent right after its request (optimistic data) go first.
                await StreamRelay.RunAsync(client, tunnel, hostIsClient: true, Counters, buffer.UnreadMemory, stopping).ConfigureAwait(false);
            }
            catch
            {
                tunnel.Abort();
                throw;
            }
        }
    }

    /// <summary>The reply code for a target that could not be reached (RFC 1928 §6).</summary>
    internal static byte ReplyFor(TargetFailure failure) => failure switch
    {
        TargetFailure.Refused => Socks5Protocol.ReplyConnectionRefused,
        TargetFailure.NetworkUnreachable => Socks5Protocol.ReplyNetworkUnreachable,
        TargetFailure.HostUnreachable or TargetFailure.TimedOut or TargetFailure.NameNotFound => Socks5Protocol.ReplyHostUnreachable,
        _ => Socks5Protocol.ReplyGeneralFailure,
    };

    internal static async Task SendReplyAsync(Socket client, byte reply, IPEndPoint? bound, CancellationToken ct)
    {
        var message = new byte[Socks5Protocol.MaxReplyLength];
        int length = Socks5Protocol.WriteReply(message, reply, bound);
        await client.SendAsync(message.AsMemory(0, length), SocketFlags.None, ct).ConfigureAwait(false);
    }

    /// <summary>Sends the error reply, counts the client refused and ends it (throws, so the caller logs and closes).</summary>
    internal async Task RefuseAsync(Socket client, byte reply, string reason)
    {
        var refused = Refused(reason); // counted before the client can see the reply
        try
        {
            using var deadline = new CancellationTokenSource(Context.Limits.HandshakeTimeout);
            await SendReplyAsync(client, reply, null, deadline.Token).ConfigureAwait(false);
        }
        catch (Exception e) when (e is SocketException or OperationCanceledException or ObjectDisposedException)
        {
            // the client is gone or does not read: it is closed all the same
        }
        throw refused;
    }

    internal ProxyClientException Refused(string reason)
    {
        Interlocked.Increment(ref Counters.Refused);
        return new ProxyClientException(reason);
    }

    /// <summary>For the UDP associations.</summary>
    internal ProxyContext ServiceContext => Context;

    /// <summary>For the UDP associations.</summary>
    internal ProxyServiceCounters ServiceCounters => Counters;
}
