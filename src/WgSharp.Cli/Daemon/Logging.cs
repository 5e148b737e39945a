using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Console;

namespace WgSharp.Cli.Daemon;

/// <summary>Console logging for the daemon; LOG_LEVEL=debug|verbose turns on the interface debug log, as with wireguard-go.</summary>
internal static class Logging
{
    public static bool DebugRequested =>
        Environment.GetEnvironmentVariable("LOG_LEVEL") is "debug" or "verbose";

    public static ILoggerFactory CreateFactory() => LoggerFactory.Create(builder =>
    {
        builder.SetMinimumLevel(Environment.GetEnvironmentVariable("LOG_LEVEL") == "silent" ? LogLevel.None : LogLevel.Information);
        builder.AddConsole(o => o.LogToStandardErrorThreshold = LogLevel.Trace);
        builder.AddSimpleConsole(o =>
        {
            o.SingleLine = true;
            o.TimestampFormat = "yyyy-MM-dd HH:mm:ss.fff ";
            o.ColorBehavior = LoggerColorBehavior.Disabled;
        });
        builder.AddFilter("Microsoft", LogLevel.Warning);
    });
}
