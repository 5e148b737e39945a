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

    /// <summary>
    /// A provider appending to <paramref name="path"/> (created 0600: log lines name peers and endpoints), or null with
    /// the reason when it cannot be opened. The file is bounded: past <see cref="LogFile.MaxBytes"/> it becomes PATH.old.
    /// </summary>
    public static StderrLoggerProvider? TryOpenFile(LogLevel minimum, string path, out string? error)
    {
        error = null;
        try
        {
            return new StderrLoggerProvider(minimum, new LogFile(path));
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

    /// <summary>
    /// An append-only log file that never grows past <see cref="MaxBytes"/>: a peer that makes us log (a warning per
    /// bad handshake) must not fill the disk. The full file is kept once as PATH.old, as logrotate's "rotate 1" would.
    /// </summary>
    internal sealed class LogFile : TextWriter
    {
        public const long MaxBytes = 16 * 1024 * 1024;
        private const UnixFileMode OwnerOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite;

        private readonly string _path;
        private readonly long _maxBytes;
        private readonly Lock _lock = new();
        private FileStream _stream;

        public LogFile(string path, long maxBytes = MaxBytes)
        {
            _path = path;
            _maxBytes = maxBytes;
            _stream = Open(path);
        }

        public override System.Text.Encoding Encoding => System.Text.Encoding.UTF8;

        public override void Write(char value) => Write(value.ToString());

        public override void WriteLine(string? value) => Write((value ?? "") + "\n");

        /// <summary>Appends the text in one write (the logger hands over whole lines), rotating first when it would not fit.</summary>
        public override void Write(string? value)
        {
            if (string.IsNullOrEmpty(value)) return;
            byte[] line = System.Text.Encoding.UTF8.GetBytes(value);
            lock (_lock)
            {
                try
                {
                    if (_stream.Length + line.Length > _maxBytes) Rotate();
                    _stream.Write(line);
                    _stream.Flush();
                }
                catch (IOException) { } // disk full, file system gone: the line is lost, the daemon goes on
                catch (ObjectDisposedException) { }
            }
        }

        private void Rotate()
        {
            _stream.Dispose();
            bool moved = true;
            try { File.Move(_path, _path + ".old", overwrite: true); }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException) { moved = false; }
            _stream = Open(_path, moved ? FileMode.Append : FileMode.Create); // cannot keep the old lines: start over
        }

        private static FileStream Open(string path, FileMode mode = FileMode.Append) => new(path, new FileStreamOptions
        {
            Mode = mode,
            Access = FileAccess.Write,
            Share = FileShare.ReadWrite,
            UnixCreateMode = OwnerOnly,
        });

        protected override void Dispose(bool disposing)
        {
            if (disposing) lock (_lock) _stream.Dispose();
            base.Dispose(disposing);
        }
    }
}
