using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace WgSharp.Tests.Uapi;

/// <summary>Collects log lines so tests can check what the server reported (and that it never logged a key).</summary>
internal sealed class ListLogger : ILogger
{
    public ConcurrentQueue<(LogLevel Level, string Message)> Entries { get; } = new();

    public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;
    public bool IsEnabled(LogLevel logLevel) => true;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
        Entries.Enqueue((logLevel, formatter(state, exception) + (exception is null ? "" : " " + exception.Message)));

    public string All => string.Join("\n", Entries.Select(e => $"{e.Level}: {e.Message}"));
}
