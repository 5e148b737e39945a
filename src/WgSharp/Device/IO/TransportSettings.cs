namespace WgSharp.Device.IO;

/// <summary>What a datagram transport is opened with: port (0 = any free one), fwmark (0 = none) and routing table.</summary>
internal readonly record struct TransportSettings(ushort Port, uint FwMark, int RTable);
