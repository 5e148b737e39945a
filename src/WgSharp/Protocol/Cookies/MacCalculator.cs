using WgSharp.Crypto;

namespace WgSharp.Protocol.Cookies;

/// <summary>mac1/mac2 positions and computation shared by both sides (whitepaper 5.4.4).</summary>
internal static class MacCalculator
{
    /// <summary>Offset of mac1 in an initiation or response: the last 32 bytes hold mac1 then mac2.</summary>
    public static int Mac1Offset(ReadOnlySpan<byte> message) => message.Length - 2 * MessageLayout.MacSize;
    public static int Mac2Offset(ReadOnlySpan<byte> message) => message.Length - MessageLayout.MacSize;

    /// <summary>MAC(key, data) = keyed BLAKE2s with a 16-byte digest.</summary>
    public static void Mac(Span<byte> output, ReadOnlySpan<byte> key, ReadOnlySpan<byte> data) =>
        Blake2s.Hash(output[..MessageLayout.MacSize], data, key);
}
