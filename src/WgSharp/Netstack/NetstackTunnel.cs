using WgSharp.Device;
using WgSharp.Device.IO;

namespace WgSharp.Netstack;

/// <summary>
/// The userspace stack behind the device's <see cref="ITunnel"/> seam: what the device "reads from the tunnel" is what
/// the stack's sockets send, and what it "writes to the tunnel" (decrypted packets from peers) is the stack's input,
/// processed on the writing thread. No kernel interface, no root. Owns the stack.
/// </summary>
internal sealed class NetstackTunnel(Netstack stack, string name) : ITunnel
{
    public Netstack Stack { get; } = stack;

    public string Name { get; } = name;

    public int Mtu
    {
        get => Stack.Mtu;
        set => Stack.Mtu = value;
    }

    public int BatchSize => 64;

    public bool Exists => !Stack.IsDisposed;

    public int Read(PacketBatch packets, ITunnelDrops counters)
    {
        int n = Stack.ReadOutput(packets);
        if (Stack.Tap is { } tap)
            for (int i = 0; i < n; i++) tap.Capture(packets.Packet(i), outbound: true);
        return n;
    }

    public bool Write(PacketBatch packets, ITunnelDrops counters, bool mayHold)
    {
        // Input is processed before Write returns; only the wake-ups it causes (ACKs, readers) may be held back.
        Stack.BeginInputBurst(packets.Count);
        var tap = Stack.Tap;
        for (int i = 0; i < packets.Count; i++)
        {
            if (packets.Lengths[i] == 0) continue;
            tap?.Capture(packets.Packet(i), outbound: false);
            Stack.Input(packets.Packet(i));
        }
        return Stack.EndInputBurst(mayHold);
    }

    public void Flush(ITunnelDrops counters) => Stack.FlushInputBurst();

    public void Dispose() => Stack.Dispose();
}
