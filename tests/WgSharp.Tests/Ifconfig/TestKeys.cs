using WgSharp.Keys;

namespace WgSharp.Tests.Ifconfig;

/// <summary>Deterministic keys for the ifconfig tests: 32 bytes all equal to a seed.</summary>
internal static class TestKeys
{
    public static Key Make(byte seed)
    {
        var bytes = new byte[Key.Size];
        Array.Fill(bytes, seed);
        return new Key(bytes);
    }

    public static string Base64(byte seed) => Make(seed).ToBase64();
}
