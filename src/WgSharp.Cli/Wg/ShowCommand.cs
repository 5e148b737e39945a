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
            using var output = console.OpenKeyOutput();
            for (int i = 0; i < names.Count; i++)
            {
                Configuration.DeviceStatus device;
                try { device = console.Devices.Get(names[i]); }
                catch (WgDeviceException e)
                {
                    output.Flush(); // what went before, before the error, as wg's unbuffered output would
                    console.Error.WriteLine($"Unable to access interface {names[i]}: {e.Message}");
                    continue;
                }
                try
                {
                    if (args.Length == 3)
                    {
                        if (!WriteField(device, args[2], withInterface: true, output, console)) return 1;
                    }
                    else
                    {
                        WgShowFormatter.Pretty(device, console.Clock(), console.Colors, output, showKeys);
                        if (i + 1 < names.Count) output.Write('\n');
                    }
                }
                finally { device.ClearSecrets(); }
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
        try
        {
            if (json)
            {
                console.Out.Write(StatusJson.Interface(status, console.Clock()));
                return 0;
            }
            using var output = console.OpenKeyOutput();
            if (args.Length == 3) return WriteField(status, args[2], withInterface: false, output, console) ? 0 : 1;
            WgShowFormatter.Pretty(status, console.Clock(), console.Colors, output, showKeys);
            return 0;
        }
        finally { status.ClearSecrets(); }
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
        try
        {
            if (names.Count > 0 && statuses.Count == 0) return 1;
            console.Out.Write(StatusJson.All(statuses, console.Clock()));
            return 0;
        }
        finally { foreach (var status in statuses) status.ClearSecrets(); }
    }

    private static bool WriteField(Configuration.DeviceStatus device, string field, bool withInterface, KeyTextOutput output, WgConsole console)
    {
        if (!WgShowFormatter.IsField(field))
        {
            output.Flush();
            console.Error.WriteLine($"Invalid parameter: `{field}'");
            console.Error.WriteLine(Usage);
            return false;
        }
        WgShowFormatter.Field(device, field, withInterface, output);
        return true;
    }
}
