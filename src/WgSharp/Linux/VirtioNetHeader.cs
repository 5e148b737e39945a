using System.Runtime.Versioning;
using System.Buffers.Binary;

namespace WgSharp.Linux;

/// <summary>
/// struct virtio_net_hdr, the 10 bytes in front of every packet on a TUN opened with IFF_VNET_HDR:
/// it says whether the packet is a TCP "super-packet" to segment (GSO) and whether its transport
/// checksum still has to be completed. Little-endian (the TUN default on little-endian hosts).
/// </summary>
[SupportedOSPlatform("linux")]
internal readonly struct VirtioNetHeader
{
    public const int Size = 10;
    public const byte FlagNeedsChecksum = 1;
    public const byte FlagDataValid = 2;
    public const byte GsoNone = 0;
    public const byte GsoTcpV4 = 1;
    public const byte GsoUdp = 3;
    public const byte GsoTcpV6 = 4;
    public const byte GsoEcn = 0x80;

    public byte Flags { get; init; }
    public byte GsoType { get; init; }
    public ushort HeaderLength { get; init; }
    public ushort GsoSize { get; init; }
    public ushort ChecksumStart { get; init; }
    public ushort ChecksumOffset { get; init; }

    public bool NeedsChecksum => (Flags & FlagNeedsChecksum) != 0;
    public bool IsGso => (GsoType & ~GsoEcn) != GsoNone;

    public void WriteTo(Span<byte> bytes)
    {
        bytes[0] = Flags;
        bytes[1] = GsoType;
        BinaryPrimitives.WriteUInt16LittleEndian(bytes[2..], HeaderLength);
        BinaryPrimitives.WriteUInt16LittleEndian(bytes[4..], GsoSize);
        BinaryPrimitives.WriteUInt16LittleEndian(bytes[6..], ChecksumStart);
        BinaryPrimitives.WriteUInt16LittleEndian(bytes[8..], ChecksumOffset);
    }

    public static VirtioNetHeader Read(ReadOnlySpan<byte> bytes) => new()
    {
        Flags = bytes[0],
        GsoType = bytes[1],
        HeaderLength = BinaryPrimitives.ReadUInt16LittleEndian(bytes[2..]),
        GsoSize = BinaryPrimitives.ReadUInt16LittleEndian(bytes[4..]),
        ChecksumStart = BinaryPrimitives.ReadUInt16LittleEndian(bytes[6..]),
        ChecksumOffset = BinaryPrimitives.ReadUInt16LittleEndian(bytes[8..]),
    };
}
