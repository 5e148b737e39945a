namespace WgSharp.Tests.Userspace;

/// <summary>
/// A hostile WireGuard peer's inner traffic, crafted with scapy (python3-scapy) in the peer namespace and sent into its
/// tunnel interface, so it reaches the userspace stack through real WireGuard. It speaks from an address of the tunnel
/// that is not the namespace's own (so the peer's kernel never answers for it) and reads the stack's replies from the
/// tunnel interface. Each attack prints "check NAME ok|fail DETAIL"; the last line is "done".
/// </summary>
internal static class HostilePeerScript
{
    /// <summary>Writes the script and returns its path.</summary>
    public static string Write()
    {
        var path = Path.Combine(UnprivilegedProgram.SharedDirectory, "hostile-peer.py");
        File.WriteAllText(path, Text);
        return path;
    }

    private const string Text = """
        import random, socket, sys, time
        from scapy.all import IP, TCP, Raw

        iface, dst, port, src = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
        out = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)
        inp = socket.socket(socket.AF_PACKET, socket.SOCK_DGRAM, socket.htons(0x0800))
        inp.bind((iface, 0))

        def send(packet):
            out.sendto(bytes(packet), (dst, 0))

        def replies(sport, seconds):
            # Every TCP segment from the stack to (src, sport) within `seconds`.
            inp.settimeout(0.05)
            got, end = [], time.time() + seconds
            while time.time() < end:
                try:
                    data = inp.recv(65535)
                except socket.timeout:
                    continue
                p = IP(data)
                if p.haslayer(TCP) and p[IP].src == dst and p[IP].dst == src and p[TCP].dport == sport:
                    got.append(p)
            return got

        def check(name, ok, detail=""):
            print("check", name, "ok" if ok else "fail", detail, flush=True)

        class Conn:
            def __init__(self, window=65535):
                self.sport = random.randint(20000, 60000)
                self.snd = random.randint(1, 2**31)
                self.window = window
                send(IP(src=src, dst=dst) / TCP(sport=self.sport, dport=port, flags="S", seq=self.snd, window=window,
                                                options=[("MSS", 1360), ("SAckOK", b"")]))
                synack = [p for p in replies(self.sport, 2) if p[TCP].flags & 0x12 == 0x12]
                if not synack:
                    raise SystemExit("no SYN-ACK from the stack")
                self.rcv = synack[0][TCP].seq + 1
                self.snd += 1
                self.ack()

            def segment(self, flags, seq=None, payload=b"", window=None, **kw):
                p = IP(src=src, dst=dst) / TCP(sport=self.sport, dport=port, flags=flags, seq=self.snd if seq is None else seq,
                                               ack=self.rcv, window=self.window if window is None else window, **kw)
                return p / Raw(payload) if payload else p

            def ack(self):
                send(self.segment("A"))

            def data(self, payload, seq=None, **kw):
                send(self.segment("PA", seq=seq, payload=payload, **kw))
                if seq is None:
                    self.snd += len(payload)

            def echoed(self, seconds=1.5):
                # The bytes the stack echoed (in sequence order, duplicates dropped), acknowledging them.
                text = b""
                for p in replies(self.sport, seconds):
                    payload = bytes(p[TCP].payload)
                    if payload and p[TCP].seq == self.rcv:
                        text += payload
                        self.rcv += len(payload)
                        self.ack()
                return text

        c = Conn()
        c.data(b"hello")
        check("echo-before", c.echoed() == b"hello")

        send(c.segment("R", seq=c.snd + 2**30))
        c.data(b"still")
        check("rst-out-of-window-ignored", c.echoed() == b"still")

        send(c.segment("R", seq=c.snd + 100))
        acks = [p for p in replies(c.sport, 1) if p[TCP].flags & 0x10 and not p[TCP].flags & 0x04]
        c.data(b"alive")
        check("rst-in-window-challenged", len(acks) >= 1 and c.echoed() == b"alive", f"challenge-acks={len(acks)}")

        send(c.segment("S", seq=c.snd + 7))
        acks = [p for p in replies(c.sport, 1) if p[TCP].flags & 0x10 and not p[TCP].flags & 0x04]
        c.data(b"again")
        check("syn-on-established-challenged", len(acks) >= 1 and c.echoed() == b"again", f"challenge-acks={len(acks)}")

        send(c.segment("PA", payload=b"BAD", chksum=0x1234))
        c.data(b"good")
        check("bad-checksum-dropped", c.echoed() == b"good")

        base = c.snd
        c.data(b"ABCDEFGH", seq=base + 8)         # out of order first
        c.data(b"EFGHIJKL", seq=base + 12)        # overlapping it
        c.data(b"ABCDEFGH", seq=base + 8)         # a duplicate
        c.data(b"01234567", seq=base)             # the hole
        c.snd = base + 20
        check("overlap-and-duplicates-reassembled", c.echoed() == b"01234567ABCDEFGHIJKL")

        hole = c.snd
        for i in range(1, 3001):                  # an out-of-order flood: never the byte at `hole`
            c.data(bytes(1000), seq=hole + 1 + i * 1000)
        c.data(b"Z", seq=hole)
        c.snd = hole + 1
        first = c.echoed(3)[:1]
        check("out-of-order-flood-survived", first == b"Z", f"first={first!r}")

        send(c.segment("R", seq=c.snd))
        check("exact-rst-accepted", True)

        z = Conn(window=0)                        # a zero window forever: the echo can never be sent
        for i in range(60):
            z.data(bytes(1000))
        probes = replies(z.sport, 3)
        check("zero-window-probed", len(probes) >= 1, f"segments={len(probes)}")

        for i in range(5000):                     # a SYN flood from addresses and ports that never answer
            send(IP(src="10.77.0.%d" % random.randint(10, 250), dst=dst) / TCP(sport=random.randint(1024, 65535), dport=port, flags="S",
                                                                                seq=random.randint(0, 2**32 - 1)))
        check("syn-flood-sent", True)
        print("done", flush=True)
        """;
}
