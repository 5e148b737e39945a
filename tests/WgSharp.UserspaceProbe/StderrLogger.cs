using Microsoft.Extensions.Logging;

namespace WgSharp.UserspaceProbe;

/// <summary>The interface's log on standard error, for WGSHARP_PROBE_DEBUG=1 (protocol events included).</summary>
internal sealed class StderrLogger : ILogger
{
    public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;
    public bool IsEnabled(LogLevel logLevel) => true;
    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
        Console.Error.WriteLine($"log {logLevel}: {formatter(state, exception)}");
}
