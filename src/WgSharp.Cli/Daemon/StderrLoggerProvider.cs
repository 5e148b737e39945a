using Microsoft.Extensions.Logging;

namespace WgSharp.Cli.Daemon;

/// <summary>
/// The daemon's log: one line per message on stderr, written synchronously by the thread that logs, in the format
/// of the console logger it replaced ("2026-11-26 10:27:11.131 info: wgsharp[0] message"). The console
/// logger cost a queue thread of its own and a dependency-injection and options set-up at every start.
/// </summary>
internal sealed class StderrLoggerProvider(LogLevel minimum, TextWriter? output = null) : ILoggerProvider
{
    /// <summary>Standard error, or (WGSHARP_LOG_FILE) a file the lines are appended to.</summary>
    private readonly TextWriter _output = output ?? Console.Error;

    public ILogger CreateLogger(string categoryName) => new StderrLogger(categoryName, minimum, _output);

    public void Dispose()
    {
        if (!ReferenceEquals(_output, Console.Error)) _output.Dispose();
    }

    /// <summary>A provider appending to <paramref name="path"/>, or null with the reason when it cannot be opened.</summary>
    public static StderrLoggerProvider? TryOpenFile(LogLevel minimum, string path, out string? error)
    {
        error = null;
        try
        {
            var stream = new FileStream(path, FileMode.Append, FileAccess.Write, FileShare.ReadWrite);
            return new StderrLoggerProvider(minimum, TextWriter.Synchronized(new StreamWriter(stream) { AutoFlush = true }));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException)
        {
            error = e.Message;
            return null;
        }
    }

    private sealed class StderrLogger(string category, LogLevel minimum, TextWriter output) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= minimum && logLevel != LogLevel.None;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (!IsEnabled(logLevel)) return;
            string line = $"{DateTime.Now:yyyy-MM-dd HH:mm:ss.fff} {Abbreviation(logLevel)}: {category}[{eventId.Id}] {formatter(state, exception)}";
            if (exception is not null) line += " " + exception.ToString().ReplaceLineEndings(" ");
            output.WriteLine(line); // Console.Error and the file's writer are synchronized: lines never interleave
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
