namespace WgSharp.Cli.Wg;

/// <summary>`set IFNAME ...`: parses everything first, then sends one atomic set request.</summary>
internal static class SetCommand
{
    public static int Run(string[] args, WgConsole console)
    {
        if (args.Length < 3)
        {
            console.Error.WriteLine(
                $"Usage: {WgCommands.ProgramName} {args[0]} <interface> [listen-port <port>] [fwmark <mark>] [private-key <file path>] " +
                "[peer <base64 public key> [remove] [preshared-key <file path>] [endpoint <ip>:<port>] [persistent-keepalive <interval seconds>] " +
                "[allowed-ips <ip1>/<cidr1>[,<ip2>/<cidr2>]...] ]...");
            return 1;
        }
        var update = WgSetArguments.Parse(args[2..], console.Error);
        try
        {
            console.Devices.Set(args[1], update);
            return 0;
        }
        catch (WgDeviceException e)
        {
            console.Error.WriteLine($"Unable to modify interface: {e.Message}");
            return 1;
        }
    }
}
