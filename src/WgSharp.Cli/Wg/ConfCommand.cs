using System.Text;
using WgSharp.Configuration;

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
        string text;
        try { text = ReadAll(args[2]); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            console.Error.WriteLine("fopen: " + WgValueParser.Describe(e));
            return 1;
        }

        DeviceUpdate update = WgConfigParser.Parse(text, append: args[0] == "addconf");
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
                update = SyncConfPlanner.Plan(update, running);
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

    /// <summary>Reads to the end, so pipes such as wg-quick's `&lt;(...)` work as well as files.</summary>
    private static string ReadAll(string path)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, 1, FileOptions.None);
        using var reader = new StreamReader(stream, new UTF8Encoding(false));
        return reader.ReadToEnd();
    }
}
