using System.Text;
using Microsoft.Extensions.Logging;

namespace WgSharp.Tests.Device;

/// <summary>An ILogger that keeps every line (with a monotonic timestamp) so tests can assert on the manual's messages.</summary>
public sealed class CapturingLogger : ILogger
{
    private readonly StringBuilder _text = new();
    private readonly List<(TimeSpan At, string Line)> _lines = [];
    private readonly System.Diagnostics.Stopwatch _clock = System.Diagnostics.Stopwatch.StartNew();

    public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;
    public bool IsEnabled(LogLevel logLevel) => true;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        string line = formatter(state, exception) + (exception is null ? "" : " " + exception);
        lock (_text)
        {
            _text.AppendLine(line);
            _lines.Add((_clock.Elapsed, line));
        }
    }

    public string Text { get { lock (_text) return _text.ToString(); } }

    public List<(TimeSpan At, string Line)> Matching(string fragment)
    {
        lock (_text) return _lines.Where(l => l.Line.Contains(fragment, StringComparison.Ordinal)).ToList();
    }
}
