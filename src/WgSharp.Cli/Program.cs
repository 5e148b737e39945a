namespace WgSharp.Cli;

internal static class Program
{
    private static int Main(string[] args)
    {
        Console.Error.WriteLine("wgsharp: not yet implemented");
        return 1;
    }
}
