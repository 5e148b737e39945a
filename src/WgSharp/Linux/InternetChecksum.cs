using System.Buffers.Binary;
using System.Runtime.InteropServices;

namespace WgSharp.Linux;

/// <summary>The RFC 1071 ones'-complement checksum used by IPv4, TCP and UDP, computed 8 bytes at a time.</summary>
internal static class InternetChecksum
{
    /// <summary>Adds the bytes of <paramref name="data"/> (as big-endian 16-bit words) to a running sum.</summary>
    public static ulong Add(ulong sum, ReadOnlySpan<byte> data)
    {
        // Summing native-endian 32-bit words into 64 bits and byte-swapping the folded result at the end
        // gives the same ones'-complement sum as big-endian 16-bit words (RFC 1071, section 2(B)).
        ulong native = 0;
        int i = 0;
        var words = MemoryMarshal.Cast<byte, uint>(data);
        for (; i < words.Length; i++) native += words[i];
        int done = words.Length * 4;
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
}
