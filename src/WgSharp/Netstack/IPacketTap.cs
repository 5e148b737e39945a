namespace WgSharp.Netstack;

/// <summary>
/// Sees every IP packet the stack receives from the tunnel and sends into it (a packet capture). Called on the
/// device's threads with the packet in the device's buffer: it must copy what it keeps, never block, never throw.
/// </summary>
internal interface IPacketTap
{
    void Capture(ReadOnlySpan<byte> packet, bool outbound);
}
