using Microsoft.Extensions.Logging;

namespace WgSharp.Cli.Daemon;

/// <summary>
/// Where the daemon logs (docs/observability.md): under systemd (JOURNAL_STREAM set) standard error with
/// sd-daemon priority prefixes, so the journal; detached (create, wgsharp-go) syslog's /dev/log, unless LOG_LEVEL
/// is set, which keeps wireguard-go's behaviour (the launcher's standard error); otherwise standard error.
/// WGSHARP_LOG_FILE=PATH appends to a file instead, however the daemon runs.
/// LOG_LEVEL=debug|verbose turns on the interface debug log at start, as with wireguard-go; `debug` does on a
/// running interface. The interface's debug messages are logged at Debug and gated by that switch alone.
/// </summary>
internal static class Logging
{
    /// <summary>The control socket's own category: its debug lines (a client that hung up) only with LOG_LEVEL=debug.</summary>
    public const string UapiCategory = "wgsharp.uapi";

    public const string FileVariable = "WGSHARP_LOG_FILE";

    private static string? LogLevelVariable => Environment.GetEnvironmentVariable("LOG_LEVEL");

    public static bool DebugRequested => LogLevelVariable is "debug" or "verbose";

    /// <summary>Without LOG_LEVEL a detached daemon is quiet on the console, as wireguard-go is.</summary>
    public static bool Quiet => string.IsNullOrEmpty(LogLevelVariable);

    public static ILoggerFactory CreateFactory(bool detached)
    {
        var minimum = LogLevelVariable == "silent" ? LogLevel.None : LogLevel.Debug;
        var filter = new LoggerFilterOptions { MinLevel = minimum };
        filter.Rules.Add(new LoggerFilterRule(null, UapiCategory, DebugRequested ? LogLevel.Debug : LogLevel.Information, null));
        return new LoggerFactory([ChooseProvider(minimum, detached, Quiet)], filter);
    }

    private static ILoggerProvider ChooseProvider(LogLevel minimum, bool detached, bool noLogLevel)
    {
        if (Environment.GetEnvironmentVariable(FileVariable) is { Length: > 0 } file)
        {
            if (StderrLoggerProvider.TryOpenFile(minimum, file, out var error) is { } provider) return provider;
            Console.Error.WriteLine($"wgsharp: {FileVariable}: {file}: {error}; logging to standard error");
        }
        if (detached && noLogLevel)
        {
            string path = Environment.GetEnvironmentVariable(SyslogLoggerProvider.SocketVariable) is { Length: > 0 } p ? p : SyslogLoggerProvider.DefaultSocketPath;
            if (SyslogLoggerProvider.TryCreate(minimum, path) is { } syslog) return syslog;
        }
        if (!detached && !string.IsNullOrEmpty(Environment.GetEnvironmentVariable(JournalLoggerProvider.StreamVariable)))
            return new JournalLoggerProvider(minimum);
        return new StderrLoggerProvider(minimum);
    }
}
