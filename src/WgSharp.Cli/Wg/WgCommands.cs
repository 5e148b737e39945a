namespace WgSharp.Cli.Wg;

// STUB: replaced by the wg(8)-style subcommands work.
internal static class WgCommands
{
    public static int Run(string[] args)
    {
        Console.Error.WriteLine("wgsharp: not implemented yet");
        return 1;
    }
}
