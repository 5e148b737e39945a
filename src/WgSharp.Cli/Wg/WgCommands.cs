namespace WgSharp.Cli.Wg;

/// <summary>
/// The wg(8) subcommands for machines without wireguard-tools: genkey, genpsk, pubkey, show,
/// showconf, set, setconf, addconf, syncconf, with wg's output formats, messages and exit codes
/// (the program name in messages is "wgsharp").
/// </summary>
internal static class WgCommands
{
    public const string ProgramName = "wgsharp";

    public static int Run(string[] args)
    {
        var console = WgConsole.Standard();
        try
        {
            return Run(args, console);
        }
        finally
        {
            console.Out.Flush();
        }
    }

    public static int Run(string[] args, WgConsole console)
    {
        if (args.Length == 0) return ShowCommand.Run(["show"], console);
        try
        {
            return args[0] switch
            {
                "genkey" => KeyCommands.GenerateKey(args, console, clamp: true),
                "genpsk" => KeyCommands.GenerateKey(args, console, clamp: false),
                "pubkey" => KeyCommands.PublicKey(args, console),
                "show" => ShowCommand.Run(args, console),
                "showconf" => ShowConfCommand.Run(args, console),
                "set" => SetCommand.Run(args, console),
                "setconf" or "addconf" or "syncconf" => ConfCommand.Run(args, console),
                _ => InvalidSubcommand(args[0], console),
            };
        }
        catch (WgParseException e)
        {
            console.Error.WriteLine(e.Message);
            return 1;
        }
    }

    private static int InvalidSubcommand(string name, WgConsole console)
    {
        console.Error.WriteLine($"Invalid subcommand: `{name}'");
        return 1;
    }
}
