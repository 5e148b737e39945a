using Microsoft.Extensions.Logging;

namespace WgSharp.Cli.Daemon;

/// <summary>
/// The daemon's log: one line per message on stderr, written synchronously by the thread that logs, in the format
/// of the console logger it replaced ("2026-11-26 10:27:11.131 info: wgsharp[0] message"). The console
/// logger cost a queue thread of its own and a dependency-injection and options set-up at every start.
/// </summary>
internal sealed class StderrLoggerProvider(LogLevel minimum) : ILoggerProvider
{
    public ILogger CreateLogger(string categoryName) => new StderrLogger(categoryName, minimum);

    public void Dispose() { }

    private sealed class StderrLogger(string category, LogLevel minimum) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= minimum && logLevel != LogLevel.None;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (!IsEnabled(logLevel)) return;
            string line = $"{DateTime.Now:yyyy-MM-dd HH:mm:ss.fff} {Abbreviation(logLevel)}: {category}[{eventId.Id}] {formatter(state, exception)}";
            if (exception is not null) line += " " + exception.ToString().ReplaceLineEndings(" ");
            Console.Error.WriteLine(line); // Console.Error is synchronized: lines never interleave
        }

        private static string Abbreviation(LogLevel level) => level switch
        {
            LogLevel.Trace => "trce",
            LogLevel.Debug => "dbug",
            LogLevel.Information => "info",
            LogLevel.Warning => "warn",
            LogLevel.Error => "fail",
            _ => "crit",
        };
    }
}
