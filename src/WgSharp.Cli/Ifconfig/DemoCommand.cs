namespace WgSharp.Cli.Ifconfig;

// STUB: replaced by the OpenBSD-dialect CLI work.
internal static class DemoCommand
{
    public static int Run(string[] args)
    {
        Console.Error.WriteLine("wgsharp: not implemented yet");
        return 1;
    }
}
