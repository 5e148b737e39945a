using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using WgSharp.Cli.Daemon;

namespace WgSharp.Cli.Proxy.Front;

/// <summary>
/// `wgsharp proxy CONF ...` and `wgsharp forward CONF SPEC...`: reads the configuration, runs <see cref="ProxyHost"/>
/// in the foreground until SIGTERM or SIGINT. Every refusal is one line on stderr and exit 1, with nothing started.
/// </summary>
internal static class ProxyCommand
{
    public const string ProxyUsage =
        "usage: wgsharp proxy CONF [--socks5 [ADDR:]PORT] [--http [ADDR:]PORT] [--metrics [ADDR:]PORT] [--control PATH] [--pcap FILE]\n";
    public const string ForwardUsage =
        "usage: wgsharp forward CONF SPEC... [--metrics [ADDR:]PORT] [--control PATH] [--pcap FILE]\n" +
        "       SPEC: tcp|udp:[LADDR:]LPORT:RHOST:RPORT | remote-tcp|remote-udp:[TADDR:]TPORT:LHOST:LPORT\n";

    /// <summary>Runs the subcommand; <paramref name="args"/> are the arguments after "proxy" or "forward".</summary>
    public static int Run(string[] args, bool forward)
    {
        if (args.Length == 0 || args is ["-h" or "--help"])
        {
            (args.Length == 0 ? Console.Error : Console.Out).Write(forward ? ForwardUsage : ProxyUsage);
            return args.Length == 0 ? 1 : 0;
        }
        ProxyArguments arguments;
        ProxyConfig config;
        try
        {
            arguments = ProxyArguments.Parse(args, forward);
            config = Load(arguments);
        }
        catch (ProxyConfigException e)
        {
            Console.Error.WriteLine($"wgsharp: {e.Message}");
            return 1;
        }
        if (config.Ignored.Count > 0)
            Console.Error.WriteLine($"wgsharp: {arguments.ConfPath}: ignored (not used without root): {string.Join(", ", config.Ignored)}");
        using var loggers = CreateLoggers();
        return ProxyHost.RunAsync(arguments, config, loggers).GetAwaiter().GetResult();
    }

    /// <summary>CONF with the command line applied and checked: what a start and each reload use.</summary>
    public static ProxyConfig Load(ProxyArguments arguments)
    {
        var config = arguments.ApplyTo(ProxyConfigParser.Load(arguments.ConfPath));
        if (config.Services.Count == 0)
            throw new ProxyConfigException($"{arguments.ConfPath}: nothing to serve (give --socks5, --http, a SPEC, or a [Socks5], [Http] or [Forward] section)");
        return config with { Services = [.. config.Services.Select(s => OnTunnel(s, config.Addresses))] };
    }

    /// <summary>A remote forward listens on one of our tunnel addresses: "every address" picks the family the tunnel has.</summary>
    private static ProxyServiceSpec OnTunnel(ProxyServiceSpec spec, IReadOnlyList<IPNetwork> addresses)
    {
        if (spec.Kind is not (ProxyServiceKind.RemoteTcpForward or ProxyServiceKind.RemoteUdpForward)) return spec;
        var address = spec.Listen.Address;
        if (address.Equals(IPAddress.Any) && !addresses.Any(a => a.BaseAddress.AddressFamily == AddressFamily.InterNetwork))
            return spec with { Listen = new IPEndPoint(IPAddress.IPv6Any, spec.Listen.Port) };
        if (address.Equals(IPAddress.Any) || address.Equals(IPAddress.IPv6Any) || addresses.Any(a => a.BaseAddress.Equals(address))) return spec;
        throw new ProxyConfigException($"{spec}: {address} is not a tunnel address of this interface (Address = {string.Join(", ", addresses)})");
    }

    private static ILoggerFactory CreateLoggers()
    {
        string? level = Environment.GetEnvironmentVariable("LOG_LEVEL");
        var minimum = level == "silent" ? LogLevel.None : level is "debug" or "verbose" ? LogLevel.Debug : LogLevel.Information;
        ILoggerProvider provider = string.IsNullOrEmpty(Environment.GetEnvironmentVariable(JournalLoggerProvider.StreamVariable))
            ? new StderrLoggerProvider(minimum) : new JournalLoggerProvider(minimum);
        return new LoggerFactory([provider], new LoggerFilterOptions { MinLevel = minimum });
    }
}
