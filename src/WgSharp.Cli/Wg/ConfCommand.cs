using WgSharp.Configuration;
using WgSharp.Keys;

namespace WgSharp.Cli.Wg;

/// <summary>`setconf`, `addconf` and `syncconf IFNAME FILE`.</summary>
internal static class ConfCommand
{
    public static int Run(string[] args, WgConsole console)
    {
        if (args.Length != 3)
        {
            console.Error.WriteLine($"Usage: {WgCommands.ProgramName} {args[0]} <interface> <configuration filename>");
            return 1;
        }
        DeviceUpdate update;
        SecretMemory? text = null;
        try
        {
            int length;
            try { (text, length) = ReadAll(args[2]); }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                console.Error.WriteLine("fopen: " + WgValueParser.Describe(e));
                return 1;
            }
            update = WgConfigParser.Parse(text.GetSpan()[..length], append: args[0] == "addconf");
        }
        finally
        {
            ((IDisposable?)text)?.Dispose(); // zeroed: it held the keys' text
        }
        try
        {
            if (args[0] == "syncconf" && update.Peers.Count > 0)
            {
                DeviceStatus running;
                try { running = console.Devices.Get(args[1]); }
                catch (WgDeviceException e)
                {
                    console.Error.WriteLine($"Unable to retrieve current interface configuration: {e.Message}");
                    return 1;
                }
                try { update = SyncConfPlanner.Plan(update, running); }
                finally { running.ClearSecrets(); } // its keys' slots: the plan has what it needs
            }
            console.Devices.Set(args[1], update);
            return 0;
        }
        catch (WgDeviceException e)
        {
            console.Error.WriteLine($"Unable to modify interface: {e.Message}");
            return 1;
        }
    }

    /// <summary>Far beyond a configuration of 100,000 peers (about 20 MB): a larger one is refused.</summary>
    private const int MaxFileBytes = 256 << 20;

    /// <summary>
    /// Reads to the end, so pipes such as wg-quick's `&lt;(...)` work as well as files, into locked, no-dump memory
    /// (it holds the keys' text), doubled as needed: each outgrown buffer is zeroed as it is released.
    /// </summary>
    private static (SecretMemory Text, int Length) ReadAll(string path)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, 1, FileOptions.None);
        var memory = new SecretMemory(64 * 1024);
        int length = 0;
        try
        {
            for (int n; (n = stream.Read(memory.GetSpan()[length..])) > 0;)
            {
                length += n;
                if (length < memory.Length) continue;
                if (memory.Length >= MaxFileBytes) throw new IOException("File too large");
                var larger = new SecretMemory(memory.Length * 2);
                memory.GetSpan().CopyTo(larger.GetSpan());
                ((IDisposable)memory).Dispose();
                memory = larger;
            }
            return (memory, length);
        }
        catch
        {
            ((IDisposable)memory).Dispose();
            throw;
        }
    }
}
