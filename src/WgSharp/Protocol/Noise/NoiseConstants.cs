using System.Text;
using WgSharp.Crypto;

namespace WgSharp.Protocol.Noise;

/// <summary>The Noise_IKpsk2 constants of WireGuard and the values derived from them once.</summary>
internal static class NoiseConstants
{
    public const string Construction = "Noise_IKpsk2_25519_ChaChaPoly_BLAKE2s";
    public const string Identifier = "WireGuard v1 zx2c4 Jason@zx2c4.com";
    public const string LabelMac1 = "mac1----";
    public const string LabelCookie = "cookie--";

    /// <summary>C_i = Hash(CONSTRUCTION).</summary>
    public static ReadOnlySpan<byte> InitialChainKey => s_initialChainKey;
    /// <summary>H_i = Hash(C_i || IDENTIFIER).</summary>
    public static ReadOnlySpan<byte> InitialHash => s_initialHash;

    private static readonly byte[] s_initialChainKey = ComputeChainKey();
    private static readonly byte[] s_initialHash = ComputeHash();

    private static byte[] ComputeChainKey()
    {
        var ck = new byte[32];
        Blake2s.Hash(ck, Encoding.ASCII.GetBytes(Construction));
        return ck;
    }

    private static byte[] ComputeHash()
    {
        var h = new byte[32];
        Blake2s.HashConcat(h, ComputeChainKey(), Encoding.ASCII.GetBytes(Identifier));
        return h;
    }

    /// <summary>Hash(label || publicKey): the mac1 key (label mac1----) or cookie key (cookie--) of a public key.</summary>
    public static void LabelKey(Span<byte> output, string label, ReadOnlySpan<byte> publicKey)
    {
        Span<byte> l = stackalloc byte[8];
        Encoding.ASCII.GetBytes(label, l);
        Blake2s.HashConcat(output[..32], l, publicKey);
    }
}
