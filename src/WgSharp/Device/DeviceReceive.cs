using WgSharp.Device.Linux;
using WgSharp.Protocol;

namespace WgSharp.Device;

// The inbound path: UDP -> (handshake queue | open -> source check -> TUN).
public sealed partial class WireGuardDevice
{
    private void RoutineReceiveUdp(UdpFamily family)
    {
        var datagram = new byte[MaxDatagram];
        var plaintext = new byte[MaxDatagram];
        // Consecutive TCP segments are handed to the TUN as one super-packet while more datagrams wait.
        var coalescer = TcpCoalescer.ForTun(Tun);
        while (!_stopping.IsCancellationRequested)
        {
            var udp = _udp;
            int n = udp.Receive(family, datagram, out var from);
            if (n < 0)
            {
                if (_stopping.IsCancellationRequested) return;
                // A replaced transport (wgrtable change) closes the old one: carry on with the new at once.
                // Otherwise this family has no socket here (e.g. IPv6 off): look again after a while.
                if (ReferenceEquals(udp, _udp)) _stopping.Token.WaitHandle.WaitOne(TimeSpan.FromMilliseconds(200));
                continue;
            }
            try
            {
                HandleDatagram(datagram.AsSpan(0, n), from, plaintext, coalescer);
                if (coalescer.HasPending && !udp.HasPending(family)) coalescer.Flush(Counters);
            }
            catch (Exception e)
            {
                // Untrusted bytes must never stop the receive loop.
                Counters.CountMalformed();
                coalescer.Flush(Counters);
                Debug($"Dropped a datagram from {from} that could not be processed: {e.GetType().Name}");
            }
        }
    }

    private void HandleDatagram(ReadOnlySpan<byte> datagram, in UdpEndpoint from, Span<byte> plaintext, TcpCoalescer coalescer)
    {
        if (datagram.Length < 4) { Counters.CountMalformed(); return; }
        switch ((MessageType)datagram[0])
        {
            case MessageType.TransportData:
                ReceiveTransport(datagram, from, plaintext, coalescer);
                return;
            case MessageType.HandshakeInitiation:
            case MessageType.HandshakeResponse:
            case MessageType.CookieReply:
                if (MessageLayout.Classify(datagram, out _) == MessageType.None) { Counters.CountMalformed(); return; }
                var work = HandshakeWork.Rent(datagram, from);
                if (!_handshakeQueue.TryAdd(work)) { work.Return(); Counters.CountHandshakeQueueFull(); } // back to the pool: no garbage per dropped message
                return;
            default:
                Counters.CountMalformed();
                return;
        }
    }

    private void ReceiveTransport(ReadOnlySpan<byte> datagram, in UdpEndpoint from, Span<byte> plaintext, TcpCoalescer coalescer)
    {
        var now = Now;
        var result = Engine.OpenTransport(datagram, plaintext, now);
        if (!result.IsOk)
        {
            switch (result.Reason)
            {
                case RejectReason.ReplayedCounter: Counters.CountReplayed(); break;
                case RejectReason.UnknownReceiverIndex: Counters.CountUnknownIndex(); break;
                case RejectReason.DecryptFailed: Counters.CountDecryptFailed(); break;
                default: Counters.CountMalformed(); break;
            }
            return;
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
            return;
        }

        var inner = plaintext[..result.PlaintextLength];
        if (!IpPacket.TryParseInbound(inner, out int length, out var source))
        {
            Counters.CountInvalidInner();
            Debug($"Packet with invalid IP header from {peer.LogName}");
            return;
        }
        if (!ReferenceEquals(AllowedIps.Lookup(source), peer))
        {
            Counters.CountUnallowedSource();
            Debug($"Packet has unallowed src IP from {peer.LogName}");
            return;
        }
        coalescer.Add(inner[..length], Counters);
    }
}
