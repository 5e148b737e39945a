using Microsoft.Extensions.Logging;

namespace WgSharp.Cli.Daemon;

/// <summary>
/// The log of a daemon systemd runs (JOURNAL_STREAM is set: standard error is a journal stream): one line per
/// message with sd-daemon(3)'s "&lt;N&gt;" priority prefix, so `journalctl -p debug` and `-p warning` select by
/// level. No timestamp: the journal keeps its own.
/// </summary>
internal sealed class JournalLoggerProvider(LogLevel minimum, TextWriter? output = null) : ILoggerProvider
{
    public const string StreamVariable = "JOURNAL_STREAM";

    private readonly LogLevel _minimum = minimum;
    private readonly TextWriter _output = output ?? Console.Error;

    public ILogger CreateLogger(string categoryName) => new JournalLogger(this);

    public void Dispose() { }

    private sealed class JournalLogger(JournalLoggerProvider provider) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= provider._minimum && logLevel != LogLevel.None;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (!IsEnabled(logLevel)) return;
            string line = $"<{LogSeverity.Of(logLevel)}>{LogSeverity.OneLine(formatter(state, exception), exception)}";
            lock (provider._output) provider._output.WriteLine(line);
        }
    }
}
