using WgSharp.Device.IO;
using WgSharp.Protocol;

namespace WgSharp.Device;

// The inbound path: datagram transport -> (handshake queue | open in place -> source check) -> tunnel,
// a batch at a time, so the tunnel can merge consecutive TCP segments before it writes them.
public sealed partial class WireGuardDevice
{
    private void RoutineReceive(UdpFamily family)
    {
        using var batch = new PacketBatch(Math.Max(1, _transport.BatchSize));
        while (!_stopping.IsCancellationRequested)
        {
            var transport = _transport;
            int n = transport.Receive(family, batch);
            if (n < 0)
            {
                if (_stopping.IsCancellationRequested) return;
                // A replaced transport (port or wgrtable change) closes the old one: carry on with the new at once.
                // Otherwise this family has no socket here (e.g. IPv6 off): look again after a while.
                if (ReferenceEquals(transport, _transport)) _stopping.Token.WaitHandle.WaitOne(TimeSpan.FromMilliseconds(200));
                continue;
            }
            for (int i = 0; i < n; i++)
            {
                var from = batch.Endpoints[i];
                try
                {
                    // Leaves the inner packet's length in the slot (packet view), or 0 when nothing goes to the tunnel.
                    batch.Lengths[i] = HandleDatagram(batch.Slot(i)[..batch.Lengths[i]], from);
                }
                catch (Exception e)
                {
                    // Untrusted bytes must never stop the receive loop.
                    batch.Lengths[i] = 0;
                    Counters.CountMalformed();
                    Debug($"Dropped a datagram from {from} that could not be processed: {e.GetType().Name}");
                }
            }
            try { Tunnel.Write(batch, Counters); }
            catch (Exception e) when (!_stopping.IsCancellationRequested)
            {
                Counters.CountSendError();
                Debug($"Writing {n} packets to the tunnel failed: {e.GetType().Name}");
            }
        }
    }

    /// <summary>Handles one datagram held at the start of its slot; returns the length of the inner packet left for the tunnel, or 0.</summary>
    private int HandleDatagram(Span<byte> datagram, in UdpEndpoint from)
    {
        if (datagram.Length < 4) { Counters.CountMalformed(); return 0; }
        switch ((MessageType)datagram[0])
        {
            case MessageType.TransportData:
                return ReceiveTransport(datagram, from);
            case MessageType.HandshakeInitiation:
            case MessageType.HandshakeResponse:
            case MessageType.CookieReply:
                if (MessageLayout.Classify(datagram, out _) == MessageType.None) { Counters.CountMalformed(); return 0; }
                var work = HandshakeWork.Rent(datagram, from);
                if (!_handshakeQueue.TryAdd(work)) { work.Return(); Counters.CountHandshakeQueueFull(); } // back to the pool: no garbage per dropped message
                return 0;
            default:
                Counters.CountMalformed();
                return 0;
        }
    }

    /// <summary>Opens a transport message in place: the inner packet lands right after the header's 16 bytes (the slot's packet view).</summary>
    private int ReceiveTransport(Span<byte> datagram, in UdpEndpoint from)
    {
        var now = Now;
        var plaintext = datagram[PacketBatch.Headroom..];
        var result = Engine.OpenTransport(datagram, plaintext, now);
        if (!result.IsOk)
        {
            switch (result.Reason)
            {
                case RejectReason.ReplayedCounter: Counters.CountReplayed(result.Peer?.Owner as Peer); break;
                case RejectReason.UnknownReceiverIndex: Counters.CountUnknownIndex(); break;
                case RejectReason.DecryptFailed: Counters.CountDecryptFailed(result.Peer?.Owner as Peer); break;
                default: Counters.CountMalformed(); break;
            }
            return 0;
        }
        var peer = (Peer)result.Peer!.Owner!;
        peer.SetEndpoint(from); // roaming: follow the source of the last authenticated packet
        peer.AddRx(datagram.Length);
        var (confirmed, needsHandshake) = peer.Protocol.OnTransportReceived(Engine, result.Keypair!, result.IsKeepalive, now);
        if (confirmed) SendStagedOrKeepalive(peer, keepaliveIfEmpty: false);
        if (needsHandshake) SendHandshakeInitiation(peer, isRetry: false);
        if (result.IsKeepalive)
        {
            Debug($"Receiving keepalive packet from {peer.LogName}");
            return 0;
        }

        var inner = plaintext[..result.PlaintextLength];
        if (!IpPacket.TryParseInbound(inner, out int length, out var source))
        {
            Counters.CountInvalidInner(peer);
            Debug($"Packet with invalid IP header from {peer.LogName}");
            return 0;
        }
        if (!ReferenceEquals(AllowedIps.Lookup(source), peer))
        {
            Counters.CountUnallowedSource(peer);
            Debug($"Packet has unallowed src IP from {peer.LogName}");
            return 0;
        }
        return length;
    }
}
