using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace WgSharp.Packets;

/// <summary>The RFC 1071 ones'-complement checksum used by IPv4, TCP and UDP, computed 32 bytes at a time where SIMD is available.</summary>
internal static class InternetChecksum
{
    /// <summary>Adds the bytes of <paramref name="data"/> (as big-endian 16-bit words) to a running sum.</summary>
    public static ulong Add(ulong sum, ReadOnlySpan<byte> data)
    {
        // Summing native-endian 32-bit words into 64 bits and byte-swapping the folded result at the end
        // gives the same ones'-complement sum as big-endian 16-bit words (RFC 1071, section 2(B)).
        ulong native = 0;
        int done = 0;
        if (Vector128.IsHardwareAccelerated && data.Length >= 64)
        {
            // 32 bytes a step: the 32-bit words widened into 64-bit lanes, which cannot overflow for any
            // packet (< 2^14 steps of < 2^33). This pass is most of the receive coalescer's own CPU.
            var low = Vector128<ulong>.Zero;
            var high = Vector128<ulong>.Zero;
            ref byte start = ref MemoryMarshal.GetReference(data);
            for (; done <= data.Length - 32; done += 32)
            {
                var (a, b) = Vector128.Widen(Vector128.LoadUnsafe(ref start, (nuint)done).AsUInt32());
                var (c, d) = Vector128.Widen(Vector128.LoadUnsafe(ref start, (nuint)done + 16).AsUInt32());
                low += a + c;
                high += b + d;
            }
            native = Vector128.Sum(low + high);
        }
        var words = MemoryMarshal.Cast<byte, uint>(data[done..]);
        for (int i = 0; i < words.Length; i++) native += words[i];
        done += words.Length * 4;
        if (data.Length - done >= 2) { native += MemoryMarshal.Read<ushort>(data[done..]); done += 2; }
        if (done < data.Length) native += BitConverter.IsLittleEndian ? data[done] : (ulong)data[done] << 8;
        ushort folded = Fold(native);
        return sum + (BitConverter.IsLittleEndian ? BinaryPrimitives.ReverseEndianness(folded) : folded);
    }

    /// <summary>Adds one big-endian 16-bit value.</summary>
    public static ulong Add(ulong sum, ushort value) => sum + value;

    /// <summary>Folds a running sum to 16 bits (not complemented).</summary>
    public static ushort Fold(ulong sum)
    {
        while (sum >> 16 != 0) sum = (sum & 0xFFFF) + (sum >> 16);
        return (ushort)sum;
    }

    /// <summary>The value to store in a checksum field: the complement of the folded sum.</summary>
    public static ushort Finish(ulong sum) => (ushort)~Fold(sum);

    /// <summary>
    /// The running sum of a TCP/UDP/ICMPv6 pseudo-header (RFC 9293 3.1, RFC 8200 8.1): both addresses (4 or 16
    /// bytes each), the protocol and the upper-layer length. Add the upper-layer bytes, then <see cref="Finish"/>.
    /// </summary>
    public static ulong PseudoHeader(ReadOnlySpan<byte> source, ReadOnlySpan<byte> destination, byte protocol, int length)
    {
        ulong sum = Add(Add(0, source), destination);
        sum += protocol;
        // A jumbo length does not occur here (packets are at most 65,535 bytes), but fold it the way RFC 8200 says.
        sum += (uint)length >> 16;
        sum += (ushort)length;
        return sum;
    }
}
