using System.Net.Sockets;
using WgSharp.Device.Linux;

namespace WgSharp.Device;

// The outbound path: TUN -> cryptokey routing -> seal -> UDP, plus handshake initiations.
public sealed partial class WireGuardDevice
{
    /// <summary>Largest datagram we build: a 64 KiB inner packet plus header and tag.</summary>
    private const int MaxDatagram = 65536 + 64;

    [ThreadStatic] private static byte[]? t_sendBuffer;

    private void RoutineReadFromTun()
    {
        var packet = new byte[65536];
        while (!_stopping.IsCancellationRequested)
        {
            int n = Tun.Read(packet);
            if (n < 0)
            {
                if (!_stopping.IsCancellationRequested && !Tun.Exists()) OnInterfaceGone();
                return;
            }
            var span = packet.AsSpan(0, n);
            var destination = IpPacket.Destination(span);
            if (destination.IsEmpty) { Counters.CountMalformed(); continue; }
            var peer = AllowedIps.Lookup(destination);
            if (peer is null) { Counters.CountNoRoute(); continue; }
            SendPacket(peer, span);
        }
    }

    /// <summary>
    /// Seals and sends one inner packet (empty = keepalive) to a peer, or stages it and starts a
    /// handshake when there is no session. Packets of one peer leave in the order they came.
    /// </summary>
    internal void SendPacket(Peer peer, ReadOnlySpan<byte> packet)
    {
        bool needsHandshake = false;
        lock (peer.SendLock)
        {
            if (peer.StagedCount > 0)
            {
                if (!peer.Stage(packet)) Counters.CountStagedDropped(1);
                needsHandshake = !FlushStagedLocked(peer);
            }
            else
            {
                switch (SealAndSendLocked(peer, packet))
                {
                    case SendOutcome.NoSession:
                        if (!peer.Stage(packet)) Counters.CountStagedDropped(1);
                        needsHandshake = true;
                        break;
                    case SendOutcome.SentNeedsRekey:
                        needsHandshake = true;
                        break;
                }
            }
        }
        if (needsHandshake) SendHandshakeInitiation(peer, isRetry: false);
    }

    private enum SendOutcome { Sent, SentNeedsRekey, NoSession }

    private SendOutcome SealAndSendLocked(Peer peer, ReadOnlySpan<byte> packet)
    {
        var buffer = t_sendBuffer ??= new byte[MaxDatagram];
        var now = Now;
        var status = peer.Protocol.Seal(packet, buffer, now, _mtu, out int length, out bool needsRekey);
        if (status != Protocol.SealStatus.Sealed) return SendOutcome.NoSession;
        var endpoint = peer.Endpoint;
        if (endpoint.IsEmpty || Udp.TrySend(buffer.AsSpan(0, length), endpoint) != SocketError.Success)
            Counters.CountSendError();
        else
            peer.AddTx(length);
        peer.Protocol.OnTransportSent(packet.IsEmpty, now);
        return needsRekey ? SendOutcome.SentNeedsRekey : SendOutcome.Sent;
    }

    [ThreadStatic] private static List<StagedPacket>? t_staged;

    /// <summary>Sends every staged packet; true if they all went (a session exists). Caller holds peer.SendLock.</summary>
    private bool FlushStagedLocked(Peer peer)
    {
        var list = t_staged ??= new List<StagedPacket>(Peer.MaxStagedPackets);
        list.Clear();
        peer.TakeStaged(list);
        bool allSent = true;
        bool rekey = false;
        for (int i = 0; i < list.Count; i++)
        {
            var p = list[i];
            if (allSent)
            {
                var outcome = SealAndSendLocked(peer, p.Span);
                if (outcome == SendOutcome.NoSession)
                {
                    allSent = false;
                    peer.Stage(p.Span); // keep it, in order, for the next session
                }
                rekey |= outcome == SendOutcome.SentNeedsRekey;
            }
            else peer.Stage(p.Span);
            p.Return();
        }
        list.Clear();
        return allSent && !rekey;
    }

    /// <summary>Sends what waited for a session; if nothing waited, a keepalive confirms the session to the responder.</summary>
    private void SendStagedOrKeepalive(Peer peer, bool keepaliveIfEmpty)
    {
        bool needsHandshake;
        lock (peer.SendLock)
        {
            if (peer.StagedCount == 0)
            {
                if (!keepaliveIfEmpty) return;
                needsHandshake = SealAndSendLocked(peer, ReadOnlySpan<byte>.Empty) != SendOutcome.Sent;
            }
            else needsHandshake = !FlushStagedLocked(peer);
        }
        if (needsHandshake) SendHandshakeInitiation(peer, isRetry: false);
    }

    /// <summary>Sends a keepalive, or starts a handshake if there is no session to carry it.</summary>
    internal void SendKeepalive(Peer peer) => SendPacket(peer, ReadOnlySpan<byte>.Empty);

    /// <summary>Sends a handshake initiation unless one went out less than REKEY_TIMEOUT ago.</summary>
    internal void SendHandshakeInitiation(Peer peer, bool isRetry)
    {
        var endpoint = peer.Endpoint;
        if (endpoint.IsEmpty)
        {
            Debug($"Handshake for {peer.LogName} not sent: no known endpoint");
            return;
        }
        Span<byte> message = stackalloc byte[Protocol.MessageLayout.InitiationSize];
        if (!peer.Protocol.TryCreateInitiation(Engine, Now, Engine.WallClock(), isRetry, message)) return;
        Debug($"Sending handshake initiation to {peer.LogName}");
        if (Udp.TrySend(message, endpoint) == SocketError.Success) peer.AddTx(message.Length);
        else Counters.CountSendError();
    }
}
