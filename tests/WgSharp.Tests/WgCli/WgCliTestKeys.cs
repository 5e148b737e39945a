using WgSharp.Keys;

namespace WgSharp.Tests.WgCli;

/// <summary>Deterministic keys for the wg CLI tests.</summary>
internal static class WgCliTestKeys
{
    public static Key Private(byte seed) => KeyGenerator.ClampPrivateKey(Filled(seed));
    public static Key Public(byte seed) => KeyGenerator.DerivePublicKey(Private(seed));
    public static Key Preshared(byte seed) => Filled((byte)(seed ^ 0x5a));

    private static Key Filled(byte seed)
    {
        var bytes = new byte[Key.Size];
        for (int i = 0; i < bytes.Length; i++) bytes[i] = (byte)(seed + i * 7);
        return new Key(bytes);
    }
}
