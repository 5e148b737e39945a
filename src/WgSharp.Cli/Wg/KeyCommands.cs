using System.Security.Cryptography;
using WgSharp.Keys;

namespace WgSharp.Cli.Wg;

/// <summary>`genkey`, `genpsk` and `pubkey`, as wg(8) has them.</summary>
internal static class KeyCommands
{
    private const int Base64KeyLength = 44;

    /// <summary>A new private key (clamped) or preshared key (32 random bytes), in base64.</summary>
    public static int GenerateKey(string[] args, WgConsole console, bool clamp)
    {
        if (args.Length != 1)
        {
            console.Error.WriteLine($"Usage: {WgCommands.ProgramName} {args[0]}");
            return 1;
        }
        if (console.OutputIsWorldAccessible())
            console.Error.Write("Warning: writing to world accessible file.\nConsider setting the umask to 077 and trying again.\n");
        var key = clamp ? KeyGenerator.GeneratePrivateKey() : KeyGenerator.GeneratePresharedKey();
        WriteKey(console, key);
        return 0;
    }

    /// <summary>Reads a base64 private key (then only whitespace) from standard input and prints its public key.</summary>
    public static int PublicKey(string[] args, WgConsole console)
    {
        if (args.Length != 1)
        {
            console.Error.WriteLine($"Usage: {WgCommands.ProgramName} {args[0]}");
            return 1;
        }
        byte[] head = GC.AllocateArray<byte>(Base64KeyLength, pinned: true); // zeroed below; pinned, so never moved and copied
        try
        {
            int length = ReadFully(console.Input, head);
            if (length != Base64KeyLength) return KeyError(console);
            // Anything after the key must be whitespace (or NUL), up to end of input.
            int b;
            while ((b = console.Input.ReadByte()) >= 0)
            {
                if (b == 0 || WgValueParser.IsSpace((char)b)) continue;
                console.Error.WriteLine($"{WgCommands.ProgramName}: Trailing characters found after key");
                return 1;
            }
            if (WgValueParser.ParseKeyBytes(head) is not { } privateKey) return KeyError(console);
            console.Out.Write(KeyGenerator.DerivePublicKey(privateKey).ToBase64() + "\n");
            return 0;
        }
        finally
        {
            CryptographicOperations.ZeroMemory(head);
        }
    }

    /// <summary>
    /// A secret key in base64 and a newline, from its bytes to stdout's through a locked buffer zeroed after the write:
    /// Console.Out's writer would keep the characters in its own buffers, which nothing zeroes.
    /// </summary>
    private static void WriteKey(WgConsole console, in Key key)
    {
        using var output = console.OpenKeyOutput();
        output.WriteKey(key).Write('\n');
    }

    private static int KeyError(WgConsole console)
    {
        console.Error.WriteLine($"{WgCommands.ProgramName}: {WgValueParser.KeyFormatError}");
        return 1;
    }

    private static int ReadFully(Stream stream, byte[] buffer)
    {
        int total = 0, n;
        while (total < buffer.Length && (n = stream.Read(buffer, total, buffer.Length - total)) > 0) total += n;
        return total;
    }
}
