using Microsoft.Extensions.Logging;

namespace WgSharp.Cli.Daemon;

/// <summary>Logging for the daemon, on stderr; LOG_LEVEL=debug|verbose turns on the interface debug log, as with wireguard-go.</summary>
internal static class Logging
{
    public static bool DebugRequested =>
        Environment.GetEnvironmentVariable("LOG_LEVEL") is "debug" or "verbose";

    public static ILoggerFactory CreateFactory() => new LoggerFactory(
        [new StderrLoggerProvider(Environment.GetEnvironmentVariable("LOG_LEVEL") == "silent" ? LogLevel.None : LogLevel.Information)]);
}
