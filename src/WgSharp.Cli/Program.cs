using WgSharp.Cli.Daemon;

namespace WgSharp.Cli;

internal static class Program
{
    private static int Main(string[] args)
    {
        try
        {
            return CommandLine.Run(args);
        }
        catch (Exception e)
        {
            // A user never sees a stack trace: one line, and a non-zero exit.
            Console.Error.WriteLine($"wgsharp: {e.Message}");
            return 1;
        }
    }
}
