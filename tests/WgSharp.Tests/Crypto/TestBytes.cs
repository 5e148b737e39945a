namespace WgSharp.Tests.Crypto;

/// <summary>Small byte helpers shared by the crypto tests.</summary>
internal static class TestBytes
{
    public static byte[] Hex(string hex) => Convert.FromHexString(hex.Replace(" ", ""));

    public static string ToHex(ReadOnlySpan<byte> bytes) => Convert.ToHexStringLower(bytes);

    /// <summary>start, start+1, ... mod 256: the same pattern generate_vectors.py feeds Python.</summary>
    public static byte[] Pattern(int length, byte start = 0)
    {
        var b = new byte[length];
        for (int i = 0; i < length; i++) b[i] = (byte)(start + i);
        return b;
    }

    public static byte[] Random(int length, int seed)
    {
        var b = new byte[length];
        new Random(seed).NextBytes(b);
        return b;
    }
}
