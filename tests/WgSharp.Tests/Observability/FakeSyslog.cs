using System.Net.Sockets;
using System.Text;

namespace WgSharp.Tests.Observability;

/// <summary>A Unix datagram socket standing in for /dev/log, collecting what arrives.</summary>
internal sealed class FakeSyslog : IDisposable
{
    private readonly Socket _socket = new(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
    private readonly List<string> _lines = [];
    private readonly Thread _reader;

    public FakeSyslog()
    {
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), $"wgsharp-syslog-{Environment.ProcessId}-{Guid.NewGuid():N}.sock");
        _socket.Bind(new UnixDomainSocketEndPoint(Path));
        _reader = new Thread(Read) { IsBackground = true };
        _reader.Start();
    }

    public string Path { get; }
    public IReadOnlyList<string> Lines { get { lock (_lines) return [.. _lines]; } }
    public string Text => string.Join('\n', Lines);

    public bool WaitFor(string text, TimeSpan timeout)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (clock.Elapsed < timeout && !Text.Contains(text, StringComparison.Ordinal)) Thread.Sleep(50);
        return Text.Contains(text, StringComparison.Ordinal);
    }

    private void Read()
    {
        var buffer = new byte[8192];
        try
        {
            while (true)
            {
                int n = _socket.Receive(buffer);
                lock (_lines) _lines.Add(Encoding.UTF8.GetString(buffer, 0, n));
            }
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException) { }
    }

    public void Dispose()
    {
        _socket.Dispose();
        File.Delete(Path);
    }
}
