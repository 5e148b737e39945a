using System.Net;

namespace WgSharp.Cli.Proxy.Front;

/// <summary>
/// The command line of `wgsharp proxy CONF [--socks5 [ADDR:]PORT]... [--http [ADDR:]PORT]... [--metrics [ADDR:]PORT]
/// [--control PATH] [--pcap FILE]` and `wgsharp forward CONF SPEC... [the same options]`. Listeners given here replace
/// the file's listeners of that kind; SPECs add to the file's [Forward] section.
/// </summary>
internal sealed record ProxyArguments
{
    public required string ConfPath { get; init; }
    public IReadOnlyList<IPEndPoint> Socks5 { get; init; } = [];
    public IReadOnlyList<IPEndPoint> Http { get; init; } = [];
    public IReadOnlyList<ProxyServiceSpec> Forwards { get; init; } = [];
    public string? Metrics { get; init; }
    public string? ControlPath { get; init; }
    public string? PcapPath { get; init; }

    /// <summary>Parses the arguments after the subcommand; <see cref="ProxyConfigException"/> names the bad one.</summary>
    public static ProxyArguments Parse(IReadOnlyList<string> args, bool forward)
    {
        string? conf = null, metrics = null, control = null, pcap = null;
        List<IPEndPoint> socks5 = [], http = [];
        List<ProxyServiceSpec> forwards = [];
        for (int i = 0; i < args.Count; i++)
        {
            string arg = args[i];
            if (arg.StartsWith("--", StringComparison.Ordinal))
            {
                if (i + 1 >= args.Count) throw new ProxyConfigException($"{arg} needs a value");
                string value = args[++i];
                switch (arg)
                {
                    case "--socks5": socks5.Add(Listen(arg, value)); break;
                    case "--http": http.Add(Listen(arg, value)); break;
                    case "--metrics": metrics = Once(arg, metrics, value); break;
                    case "--control": control = Once(arg, control, ControlSocketPath.Check(value)); break;
                    case "--pcap": pcap = Once(arg, pcap, value); break;
                    default: throw new ProxyConfigException($"{ServiceSpecParser.Shorten(arg)}: unknown option");
                }
            }
            else if (conf is null) conf = arg;
            else if (forward)
            {
                try { forwards.Add(ServiceSpecParser.ParseForward(arg)); }
                catch (ProxyConfigException e) { throw new ProxyConfigException($"SPEC {e.Message}"); }
            }
            else throw new ProxyConfigException($"{ServiceSpecParser.Shorten(arg)}: unexpected argument (one CONF only)");
        }
        if (conf is null) throw new ProxyConfigException("no CONF file given");
        return new ProxyArguments { ConfPath = conf, Socks5 = socks5, Http = http, Forwards = forwards, Metrics = metrics, ControlPath = control, PcapPath = pcap };
    }

    /// <summary>The file's configuration with this command line applied.</summary>
    public ProxyConfig ApplyTo(ProxyConfig file)
    {
        IEnumerable<ProxyServiceSpec> services = file.Services;
        if (Socks5.Count > 0) services = services.Where(s => s.Kind != ProxyServiceKind.Socks5).Concat(Socks5.Select(l => new ProxyServiceSpec(ProxyServiceKind.Socks5, l)));
        if (Http.Count > 0) services = services.Where(s => s.Kind != ProxyServiceKind.Http).Concat(Http.Select(l => new ProxyServiceSpec(ProxyServiceKind.Http, l)));
        return file with { Services = [.. services.Concat(Forwards)] };
    }

    private static IPEndPoint Listen(string option, string value)
    {
        try { return ServiceSpecParser.ParseListen(value); }
        catch (ProxyConfigException e) { throw new ProxyConfigException($"{option} {e.Message}"); }
    }

    private static string Once(string option, string? previous, string value) =>
        previous is null ? value : throw new ProxyConfigException($"{option} given twice");
}
