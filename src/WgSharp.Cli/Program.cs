namespace WgSharp.Cli;

internal static class Program
{
    private static int Main(string[] args)
    {
        try
        {
            Daemon.EnvironmentKnobs.Apply();
            return CommandLine.Run(args);
        }
        catch (Exception e)
        {
            // A user never sees a stack trace: one line, and a non-zero exit. (Commands report their
            // own errors; this is the last guard, so .NET's "(Parameter 'x')" suffix is cut off too.)
            string message = e is ArgumentException { ParamName: { } name } && e.Message.EndsWith($" (Parameter '{name}')", StringComparison.Ordinal)
                ? e.Message[..^$" (Parameter '{name}')".Length] : e.Message;
            Console.Error.WriteLine($"wgsharp: {message.ReplaceLineEndings(" ")}");
            return 1;
        }
    }
}
