using System.Globalization;
using System.Net.Sockets;
using System.Text;
using Microsoft.Extensions.Logging;

namespace WgSharp.Cli.Daemon;

/// <summary>
/// The log of a detached daemon: syslog's local socket (/dev/log, where rsyslog or journald listen) in
/// RFC 3164 form, "&lt;PRI&gt;Mmm dd hh:mm:ss wgsharp[PID]: message", facility daemon, as syslog(3) sends it.
/// A message that cannot be sent is dropped: logging never stops or slows the daemon.
/// </summary>
internal sealed class SyslogLoggerProvider : ILoggerProvider
{
    public const string DefaultSocketPath = "/dev/log";
    /// <summary>Another socket path instead of /dev/log (tests; a chroot).</summary>
    public const string SocketVariable = "WGSHARP_SYSLOG_SOCKET";
    private const int FacilityDaemon = 3;

    private readonly LogLevel _minimum;
    private readonly Socket _socket;
    private readonly UnixDomainSocketEndPoint _target;
    private readonly string _tag = $"wgsharp[{Environment.ProcessId.ToString(CultureInfo.InvariantCulture)}]";

    private SyslogLoggerProvider(LogLevel minimum, Socket socket, UnixDomainSocketEndPoint target)
    {
        _minimum = minimum;
        _socket = socket;
        _target = target;
    }

    /// <summary>The socket syslog(3) would use: WGSHARP_SYSLOG_SOCKET if set, else /dev/log.</summary>
    public static string SocketPath => Environment.GetEnvironmentVariable(SocketVariable) is { Length: > 0 } path ? path : DefaultSocketPath;

    /// <summary>A provider for the syslog socket at <paramref name="path"/>, or null when nobody listens there.</summary>
    public static SyslogLoggerProvider? TryCreate(LogLevel minimum, string path)
    {
        if (!IsListening(path)) return null;
        var socket = new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
        return new SyslogLoggerProvider(minimum, socket, new UnixDomainSocketEndPoint(path));
    }

    /// <summary>
    /// Whether a syslog daemon receives at <paramref name="path"/>. The file alone proves nothing: a socket left by a
    /// stopped syslog (or a container's empty /dev/log bind) would swallow every line without a trace.
    /// </summary>
    public static bool IsListening(string path)
    {
        try
        {
            using var probe = new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
            probe.Connect(new UnixDomainSocketEndPoint(path));
            return true;
        }
        catch (Exception e) when (e is SocketException or ArgumentException) // ArgumentException: a path too long for sun_path
        {
            return false;
        }
    }

    /// <summary>RFC 3164's header: PRI, then the timestamp "Mmm dd hh:mm:ss" with the day padded by a space.</summary>
    public static string Format(int severity, DateTime localTime, string tag, string message) =>
        $"<{FacilityDaemon * 8 + severity}>{localTime.ToString("MMM", CultureInfo.InvariantCulture)} " +
        $"{localTime.Day.ToString(CultureInfo.InvariantCulture),2} {localTime.ToString("HH:mm:ss", CultureInfo.InvariantCulture)} {tag}: {message}";

    public ILogger CreateLogger(string categoryName) => new SyslogLogger(this);

    public void Dispose() => _socket.Dispose();

    private void Send(LogLevel level, string message)
    {
        byte[] datagram = Encoding.UTF8.GetBytes(Format(LogSeverity.Of(level), DateTime.Now, _tag, message));
        try { _socket.SendTo(datagram, SocketFlags.None, _target); }
        catch (SocketException) { } // syslog not listening (restarting): the message is lost, the daemon goes on
        catch (ObjectDisposedException) { }
    }

    private sealed class SyslogLogger(SyslogLoggerProvider provider) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= provider._minimum && logLevel != LogLevel.None;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (IsEnabled(logLevel)) provider.Send(logLevel, LogSeverity.OneLine(formatter(state, exception), exception));
        }
    }
}
