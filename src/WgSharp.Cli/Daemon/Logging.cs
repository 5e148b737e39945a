using Microsoft.Extensions.Logging;

namespace WgSharp.Cli.Daemon;

/// <summary>
/// Where the daemon logs (docs/observability.md): under systemd (JOURNAL_STREAM set) standard error with
/// sd-daemon priority prefixes, so the journal; detached (create, wgsharp-go) syslog's /dev/log, unless LOG_LEVEL
/// is set, which keeps wireguard-go's behaviour (the launcher's standard error); a detached daemon with nobody
/// listening on /dev/log logs to /var/log/wgsharp/IFNAME.log instead (the launcher says so), never to nowhere;
/// otherwise standard error. WGSHARP_LOG_FILE=PATH appends to a file instead, however the daemon runs.
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

    /// <summary>Where a detached daemon logs when no syslog daemon listens.</summary>
    public const string DetachedLogDirectory = "/var/log/wgsharp";

    /// <summary>The file a detached daemon of <paramref name="interfaceName"/> logs to when syslog is not there.</summary>
    public static string DetachedLogFile(string interfaceName) => Path.Combine(DetachedLogDirectory, interfaceName + ".log");

    /// <summary>
    /// For the launcher, before it detaches a daemon: the file that daemon will log to because no syslog listens,
    /// or null when its log goes where the operator expects it (syslog, WGSHARP_LOG_FILE, or LOG_LEVEL's stderr).
    /// </summary>
    public static string? DetachedLogFallback(string interfaceName) =>
        Quiet && Environment.GetEnvironmentVariable(FileVariable) is not { Length: > 0 } && !SyslogLoggerProvider.IsListening(SyslogLoggerProvider.SocketPath)
            ? DetachedLogFile(interfaceName)
            : null;

    public static ILoggerFactory CreateFactory(bool detached, string? interfaceName = null)
    {
        var minimum = LogLevelVariable == "silent" ? LogLevel.None : LogLevel.Debug;
        var filter = new LoggerFilterOptions { MinLevel = minimum };
        filter.Rules.Add(new LoggerFilterRule(null, UapiCategory, DebugRequested ? LogLevel.Debug : LogLevel.Information, null));
        return new LoggerFactory([ChooseProvider(minimum, detached, Quiet, interfaceName)], filter);
    }

    private static ILoggerProvider ChooseProvider(LogLevel minimum, bool detached, bool noLogLevel, string? interfaceName)
    {
        if (Environment.GetEnvironmentVariable(FileVariable) is { Length: > 0 } file)
        {
            if (StderrLoggerProvider.TryOpenFile(minimum, file, out var error) is { } provider) return provider;
            Console.Error.WriteLine($"wgsharp: {FileVariable}: {file}: {error}; logging to standard error");
        }
        if (detached && noLogLevel)
        {
            if (SyslogLoggerProvider.TryCreate(minimum, SyslogLoggerProvider.SocketPath) is { } syslog) return syslog;
            // Its standard error leads to the launcher, which is gone once the daemon serves: a file, not silence.
            if (interfaceName is not null && OpenDetachedLogFile(minimum, interfaceName) is { } fallback) return fallback;
        }
        if (!detached && !string.IsNullOrEmpty(Environment.GetEnvironmentVariable(JournalLoggerProvider.StreamVariable)))
            return new JournalLoggerProvider(minimum);
        return new StderrLoggerProvider(minimum);
    }

    /// <summary>
    /// For changes the CLI makes to a link itself (MTU, addresses, up/down, rdomain): they go where the daemon's own
    /// lines go when the CLI can reach that place — WGSHARP_LOG_FILE, syslog (the journal listens there under
    /// systemd), or the detached daemon's fallback file — and nowhere otherwise (a foreground daemon's stderr is not ours).
    /// </summary>
    public static ILoggerFactory CreateChangeLogFactory(string interfaceName)
    {
        ILoggerProvider? provider = null;
        if (Environment.GetEnvironmentVariable(FileVariable) is { Length: > 0 } file)
            provider = StderrLoggerProvider.TryOpenFile(LogLevel.Information, file, out _);
        provider ??= SyslogLoggerProvider.TryCreate(LogLevel.Information, SyslogLoggerProvider.SocketPath);
        if (provider is null && File.Exists(DetachedLogFile(interfaceName)))
            provider = StderrLoggerProvider.TryOpenFile(LogLevel.Information, DetachedLogFile(interfaceName), out _);
        return new LoggerFactory(provider is null ? [] : [provider]);
    }

    private static StderrLoggerProvider? OpenDetachedLogFile(LogLevel minimum, string interfaceName)
    {
        string path = DetachedLogFile(interfaceName);
        try { Directory.CreateDirectory(DetachedLogDirectory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            Console.Error.WriteLine($"wgsharp: {interfaceName}: no syslog and cannot create {DetachedLogDirectory}: {e.Message}");
            return null;
        }
        if (StderrLoggerProvider.TryOpenFile(minimum, path, out var error) is { } provider)
        {
            provider.CreateLogger("wgsharp").LogWarning("{Interface}: no syslog listens on {Socket}: logging here", interfaceName, SyslogLoggerProvider.SocketPath);
            return provider;
        }
        Console.Error.WriteLine($"wgsharp: {interfaceName}: no syslog and cannot open {path}: {error}");
        return null;
    }
}
