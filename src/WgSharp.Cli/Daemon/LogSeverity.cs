using Microsoft.Extensions.Logging;

namespace WgSharp.Cli.Daemon;

/// <summary>ILogger levels as syslog(3) severities, the numbers both syslog's PRI and sd-daemon's "&lt;N&gt;" prefix use.</summary>
internal static class LogSeverity
{
    public static int Of(LogLevel level) => level switch
    {
        LogLevel.Critical => 2, // LOG_CRIT
        LogLevel.Error => 3,    // LOG_ERR
        LogLevel.Warning => 4,  // LOG_WARNING
        LogLevel.Information => 6, // LOG_INFO
        _ => 7,                 // LOG_DEBUG (Debug, Trace)
    };

    /// <summary>One line of text: a message (and exception) never spans lines in a line-based log.</summary>
    public static string OneLine(string message, Exception? exception) =>
        (exception is null ? message : message + " " + exception.ToString()).ReplaceLineEndings(" ");
}
