namespace WgSharp.UserspaceProbe;

/// <summary>
/// The `exit-undisposed DIRECTORY` command: starts the interface with its control socket in DIRECTORY and returns
/// from Main without disposing it, as a careless program does; the library's ProcessExit handler must then remove
/// the socket file (ControlSocketAtExitTests). Prints `started socket=PATH exists=True|False` first.
/// </summary>
internal static class UndisposedExit
{
    public static async Task<int> RunAsync(ProbeOptions options, CancellationToken cancellationToken)
    {
        string directory = options.Argument(0);
        var wg = await WireGuardInterface.StartAsync(
            InterfaceOptions.From(options) with { ControlSocket = true, ControlSocketDirectory = directory }, null, cancellationToken);
        string socket = Path.Combine(directory, wg.Name + ".sock");
        Console.WriteLine($"started socket={socket} exists={File.Exists(socket)}");
        return 0; // wg is deliberately not disposed
    }
}
