using System.Text;
using Microsoft.Extensions.Logging;

namespace WgSharp.Tests.Device;

/// <summary>
/// An ILogger that keeps every line (with a monotonic timestamp) so tests can assert on the manual's messages,
/// and every entry's level and structured fields (the message template's named values) for the tests of those.
/// </summary>
public sealed class CapturingLogger : ILogger
{
    private readonly StringBuilder _text = new();
    private readonly List<(TimeSpan At, string Line)> _lines = [];
    private readonly List<CapturedEntry> _entries = [];
    private readonly System.Diagnostics.Stopwatch _clock = System.Diagnostics.Stopwatch.StartNew();

    public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;
    public bool IsEnabled(LogLevel logLevel) => true;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        string line = formatter(state, exception) + (exception is null ? "" : " " + exception);
        var fields = state is IEnumerable<KeyValuePair<string, object?>> values
            ? values.GroupBy(v => v.Key).ToDictionary(g => g.Key, g => g.Last().Value)
            : [];
        lock (_text)
        {
            _text.AppendLine(line);
            _lines.Add((_clock.Elapsed, line));
            _entries.Add(new CapturedEntry(logLevel, line, fields));
        }
    }

    public string Text { get { lock (_text) return _text.ToString(); } }

    public IReadOnlyList<CapturedEntry> Entries { get { lock (_text) return _entries.ToList(); } }

    public List<(TimeSpan At, string Line)> Matching(string fragment)
    {
        lock (_text) return _lines.Where(l => l.Line.Contains(fragment, StringComparison.Ordinal)).ToList();
    }
}

/// <summary>One log entry: its level, its formatted text and its named values ("{OriginalFormat}" included).</summary>
public sealed record CapturedEntry(LogLevel Level, string Line, IReadOnlyDictionary<string, object?> Fields)
{
    public string? Field(string name) => Fields.TryGetValue(name, out var value) ? value?.ToString() : null;
}
