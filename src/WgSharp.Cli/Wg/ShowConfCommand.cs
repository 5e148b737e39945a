namespace WgSharp.Cli.Wg;

/// <summary>`showconf IFNAME`.</summary>
internal static class ShowConfCommand
{
    public static int Run(string[] args, WgConsole console)
    {
        if (args.Length != 2)
        {
            console.Error.WriteLine($"Usage: {WgCommands.ProgramName} {args[0]} <interface>");
            return 1;
        }
        try
        {
            var status = console.Devices.Get(args[1]);
            try
            {
                using var output = console.OpenKeyOutput();
                WgConfFormatter.Format(status, output);
            }
            finally { status.ClearSecrets(); }
            return 0;
        }
        catch (WgDeviceException e)
        {
            console.Error.WriteLine($"Unable to access interface: {e.Message}");
            return 1;
        }
    }
}
