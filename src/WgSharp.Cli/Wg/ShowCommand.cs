namespace WgSharp.Cli.Wg;

/// <summary>`show [IFNAME|all|interfaces] [FIELD]`; wgsharp adds the field `json` (docs/observability.md).</summary>
internal static class ShowCommand
{
    private static string Usage =>
        $"Usage: {WgCommands.ProgramName} show {{ <interface> | all | interfaces }} [public-key | private-key | listen-port | fwmark | peers | preshared-keys | endpoints | allowed-ips | latest-handshakes | transfer | persistent-keepalive | dump | json]";

    /// <summary>wgsharp's own field: the status as JSON, counters included.</summary>
    private const string JsonField = "json";

    public static int Run(string[] args, WgConsole console)
    {
        if (args.Length > 3)
        {
            console.Error.WriteLine(Usage);
            return 1;
        }
        bool showKeys = Environment.GetEnvironmentVariable("WG_HIDE_KEYS") == "never";

        if (args.Length == 1 || args[1] == "all")
        {
            var names = console.Devices.List();
            if (args.Length == 3 && args[2] == JsonField) return ShowAllJson(names, console);
            int result = names.Count > 0 ? 1 : 0;
            for (int i = 0; i < names.Count; i++)
            {
                Configuration.DeviceStatus device;
                try { device = console.Devices.Get(names[i]); }
                catch (WgDeviceException e)
                {
                    console.Error.WriteLine($"Unable to access interface {names[i]}: {e.Message}");
                    continue;
                }
                if (args.Length == 3)
                {
                    if (!WriteField(device, args[2], withInterface: true, console)) return 1;
                }
                else
                {
                    console.Out.Write(WgShowFormatter.Pretty(device, console.Clock(), console.Colors, showKeys));
                    if (i + 1 < names.Count) console.Out.Write("\n");
                }
                result = 0;
            }
            return result;
        }

        if (args[1] == "interfaces")
        {
            if (args.Length > 2)
            {
                console.Error.WriteLine(Usage);
                return 1;
            }
            var names = console.Devices.List();
            if (names.Count > 0) console.Out.Write(string.Join(' ', names) + "\n");
            return 0;
        }

        if (args.Length == 2 && args[1] is "-h" or "--help" or "help")
        {
            console.Error.WriteLine(Usage);
            return 0;
        }

        bool json = args.Length == 3 && args[2] == JsonField;
        Configuration.DeviceStatus status;
        try { status = console.Devices.Get(args[1], extensions: json); }
        catch (WgDeviceException e)
        {
            console.Error.WriteLine($"Unable to access interface: {e.Message}");
            return 1;
        }
        if (json)
        {
            console.Out.Write(StatusJson.Interface(status, console.Clock()));
            return 0;
        }
        if (args.Length == 3) return WriteField(status, args[2], withInterface: false, console) ? 0 : 1;
        console.Out.Write(WgShowFormatter.Pretty(status, console.Clock(), console.Colors, showKeys));
        return 0;
    }

    /// <summary>
    /// `show all json`: one object listing every interface that answered (one that went away is left out). As
    /// `show all`: when there are interfaces and none answered (e.g. permission denied) nothing is printed and the
    /// exit status is 1, never an empty list a monitor would read as "nothing configured".
    /// </summary>
    private static int ShowAllJson(List<string> names, WgConsole console)
    {
        var statuses = new List<Configuration.DeviceStatus>(names.Count);
        foreach (string name in names)
        {
            try { statuses.Add(console.Devices.Get(name, extensions: true)); }
            catch (WgDeviceException e) { console.Error.WriteLine($"Unable to access interface {name}: {e.Message}"); }
        }
        if (names.Count > 0 && statuses.Count == 0) return 1;
        console.Out.Write(StatusJson.All(statuses, console.Clock()));
        return 0;
    }

    private static bool WriteField(Configuration.DeviceStatus device, string field, bool withInterface, WgConsole console)
    {
        var text = WgShowFormatter.Field(device, field, withInterface);
        if (text is null)
        {
            console.Error.WriteLine($"Invalid parameter: `{field}'");
            console.Error.WriteLine(Usage);
            return false;
        }
        console.Out.Write(text);
        return true;
    }
}
