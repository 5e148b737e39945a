using WgSharp.Linux;
using WgSharp.Keys;

namespace WgSharp.Tests.Integration.Infrastructure;

/// <summary>Key pairs for test peers, from our own KeyGenerator or from the real `wg genkey`/`wg pubkey`.</summary>
public static class WgKeys
{
    public static (Key Private, Key Public) Generate()
    {
        var privateKey = KeyGenerator.GeneratePrivateKey();
        return (privateKey, KeyGenerator.DerivePublicKey(privateKey));
    }

    public static (Key Private, Key Public) GenerateWithWgTool()
    {
        var privateKey = Key.ParseBase64(CommandRunner.Run("wg", "genkey").EnsureSuccess().StandardOutput.Trim());
        return (privateKey, PublicKeyWithWgTool(privateKey));
    }

    /// <summary>`wg pubkey` of <paramref name="privateKey"/> (the key goes through stdin, never the command line).</summary>
    public static Key PublicKeyWithWgTool(Key privateKey) =>
        Key.ParseBase64(CommandRunner.Run("wg", ["pubkey"], null, privateKey.ToBase64() + "\n").EnsureSuccess().StandardOutput.Trim());
}
