using System.Net.Sockets;
using System.Text;
using Microsoft.Extensions.Logging;

namespace WgSharp.Cli.Daemon;

/// <summary>
/// The metrics endpoint's HTTP side: one thread (wg-metrics) polling a listener and a few connection slots, all
/// non-blocking, so no client can stall another. Each connection has absolute deadlines (the request within
/// <see cref="RequestDeadline"/> of its accept, the whole answer within <see cref="AnswerDeadline"/>), however
/// slowly it trickles bytes; when every slot is taken a new connection evicts the oldest one still sending its
/// request (an idle or trickling client), else the oldest of all. Every exception is caught per connection and
/// logged; nothing that happens here ends the daemon.
/// </summary>
internal sealed class MetricsServer : IDisposable
{
    public const int Slots = 8;
    public const int MaxRequestBytes = 8192;
    public static readonly TimeSpan RequestDeadline = TimeSpan.FromSeconds(5);
    public static readonly TimeSpan AnswerDeadline = TimeSpan.FromSeconds(15);
    private static readonly TimeSpan IdleWait = TimeSpan.FromMilliseconds(250); // how soon Dispose is noticed

    private readonly Socket _listener;
    private readonly ExpositionCache _cache;
    private readonly MetricsAccess _access;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly Connection[] _slots = new Connection[Slots];
    private readonly List<Socket> _readable = new(Slots + 1), _writable = new(Slots);
    private readonly Thread _thread;
    private volatile bool _stopping;

    public MetricsServer(Socket listener, ExpositionCache cache, MetricsAccess access, ILogger logger, TimeProvider? time = null)
    {
        _listener = listener;
        _cache = cache;
        _access = access;
        _logger = logger;
        _time = time ?? TimeProvider.System;
        for (int i = 0; i < Slots; i++) _slots[i] = new Connection();
        _listener.Blocking = false;
        _thread = new Thread(Run) { IsBackground = true, Name = "wg-metrics" };
        _thread.Start();
    }

    /// <summary>One slot: its buffers are allocated once and reused by every connection it holds.</summary>
    private sealed class Connection
    {
        public Socket? Socket;
        public readonly byte[] Request = new byte[MaxRequestBytes];
        public int Received;
        public long AcceptedAt;
        public long Deadline;
        public byte[] Head = [];
        public int HeadSent;
        public ReadOnlyMemory<byte> Body;
        public ExpositionCache.Snapshot? Snapshot;
        public int BodySent;
        public bool Answering;
    }

    private void Run()
    {
        while (!_stopping)
        {
            try { Turn(); }
            catch (Exception e) when (!_stopping)
            {
                // Whatever it is, the daemon goes on; the slots are reset so a broken connection cannot loop.
                _logger.LogWarning("metrics: {Reason}", e.Message);
                foreach (var slot in _slots) Close(slot);
                Thread.Sleep(100);
            }
            catch (Exception) { break; } // stopping: the listener was closed under us
        }
        foreach (var slot in _slots) Close(slot);
    }

    private void Turn()
    {
        _readable.Clear();
        _writable.Clear();
        _readable.Add(_listener);
        long now = _time.GetTimestamp();
        TimeSpan wait = IdleWait;
        foreach (var slot in _slots)
        {
            if (slot.Socket is null) continue;
            (slot.Answering ? _writable : _readable).Add(slot.Socket);
            var left = TimeSpan.FromTicks(Math.Max(0, (long)((slot.Deadline - now) * (double)TimeSpan.TicksPerSecond / _time.TimestampFrequency)));
            if (left < wait) wait = left;
        }
        Socket.Select(_readable, _writable.Count > 0 ? _writable : null, null, (int)Math.Max(1, wait.TotalMicroseconds));

        foreach (var slot in _slots)
        {
            var socket = slot.Socket;
            if (socket is null) continue;
            try
            {
                if (slot.Answering ? _writable.Contains(socket) : _readable.Contains(socket)) Step(slot);
            }
            catch (Exception e)
            {
                if (e is SocketException or ObjectDisposedException or IOException) _logger.LogDebug("metrics: connection ended: {Reason}", e.Message);
                else _logger.LogWarning("metrics: connection ended: {Reason}", e.Message);
                Close(slot);
            }
        }
        now = _time.GetTimestamp();
        foreach (var slot in _slots)
        {
            if (slot.Socket is null || now < slot.Deadline) continue;
            _logger.LogDebug("metrics: connection closed at its deadline");
            Close(slot);
        }
        if (_readable.Contains(_listener)) AcceptWaiting();
    }

    private void AcceptWaiting()
    {
        for (int i = 0; i < Slots * 4; i++) // bounded: the slots' clients get their turn between bursts
        {
            Socket client;
            try { client = _listener.Accept(); }
            catch (SocketException e) when (e.SocketErrorCode == SocketError.WouldBlock) { return; }
            catch (SocketException e)
            {
                _logger.LogDebug("metrics: accept failed: {Reason}", e.Message); // e.g. EMFILE: the next turn retries
                return;
            }
            try
            {
                client.Blocking = false;
                var slot = FreeOrEvicted();
                slot.Socket = client;
                slot.Received = 0;
                slot.AcceptedAt = _time.GetTimestamp();
                slot.Deadline = slot.AcceptedAt + (long)(RequestDeadline.TotalSeconds * _time.TimestampFrequency);
            }
            catch (Exception e)
            {
                _logger.LogDebug("metrics: cannot take a connection: {Reason}", e.Message);
                client.Dispose();
            }
        }
    }

    /// <summary>A free slot, else the slot of the oldest client still sending its request, else the oldest client.</summary>
    private Connection FreeOrEvicted()
    {
        Connection? oldestReading = null, oldest = null;
        foreach (var slot in _slots)
        {
            if (slot.Socket is null) return slot;
            if (!slot.Answering && (oldestReading is null || slot.AcceptedAt < oldestReading.AcceptedAt)) oldestReading = slot;
            if (oldest is null || slot.AcceptedAt < oldest.AcceptedAt) oldest = slot;
        }
        var evicted = oldestReading ?? oldest!;
        _logger.LogDebug("metrics: every connection slot taken: closing the oldest");
        Close(evicted);
        return evicted;
    }

    private void Step(Connection slot)
    {
        var socket = slot.Socket!;
        if (slot.Answering)
        {
            SendSome(slot);
            return;
        }
        int read = socket.Receive(slot.Request, slot.Received, slot.Request.Length - slot.Received, SocketFlags.None, out var error);
        if (error == SocketError.WouldBlock) return;
        if (error != SocketError.Success || read == 0)
        {
            Close(slot);
            return;
        }
        slot.Received += read;
        var verdict = MetricsRequest.Judge(slot.Request.AsSpan(0, slot.Received), _access);
        if (verdict == MetricsVerdict.Incomplete)
        {
            if (slot.Received == slot.Request.Length) Answer(slot, "431 Request Header Fields Too Large", "request too large\n");
            return;
        }
        switch (verdict)
        {
            case MetricsVerdict.Serve: AnswerMetrics(slot); break;
            case MetricsVerdict.MethodNotAllowed: Answer(slot, "405 Method Not Allowed", "only GET /metrics\n", "Allow: GET\r\n"); break;
            case MetricsVerdict.NotFound: Answer(slot, "404 Not Found", "metrics are at /metrics\n"); break;
            case MetricsVerdict.ForbiddenHost: Answer(slot, "403 Forbidden", "this Host is not served (see WGSHARP_METRICS_HOSTS)\n"); break;
            case MetricsVerdict.Unauthorized: Answer(slot, "401 Unauthorized", "a bearer token is required\n", "WWW-Authenticate: Bearer\r\n"); break;
            default: Answer(slot, "400 Bad Request", "not an HTTP request\n"); break;
        }
    }

    private void AnswerMetrics(Connection slot)
    {
        ExpositionCache.Snapshot snapshot;
        try { snapshot = _cache.Acquire(); }
        catch (Exception e)
        {
            _logger.LogWarning("metrics: collecting failed: {Reason}", e is AggregateException aggregate ? aggregate.InnerException?.Message ?? e.Message : e.Message);
            Answer(slot, "500 Internal Server Error", "collecting the metrics failed; see the daemon's log\n");
            return;
        }
        slot.Snapshot = snapshot;
        Start(slot, "200 OK", snapshot.Buffer.AsMemory(0, snapshot.Length), PrometheusExposition.ContentType, "");
    }

    private void Answer(Connection slot, string status, string body, string extraHeaders = "") =>
        Start(slot, status, Encoding.UTF8.GetBytes(body), "text/plain; charset=utf-8", extraHeaders);

    private void Start(Connection slot, string status, ReadOnlyMemory<byte> body, string contentType, string extraHeaders)
    {
        slot.Head = Encoding.ASCII.GetBytes(
            $"HTTP/1.1 {status}\r\nContent-Type: {contentType}\r\nContent-Length: {body.Length}\r\n{extraHeaders}Connection: close\r\n\r\n");
        slot.HeadSent = 0;
        slot.Body = body;
        slot.BodySent = 0;
        slot.Answering = true;
        slot.Deadline = _time.GetTimestamp() + (long)(AnswerDeadline.TotalSeconds * _time.TimestampFrequency);
        SendSome(slot);
    }

    private void SendSome(Connection slot)
    {
        var socket = slot.Socket!;
        while (slot.HeadSent < slot.Head.Length)
        {
            int sent = socket.Send(slot.Head.AsSpan(slot.HeadSent), SocketFlags.None, out var error);
            if (error == SocketError.WouldBlock) return;
            if (error != SocketError.Success) { Close(slot); return; }
            slot.HeadSent += sent;
        }
        while (slot.BodySent < slot.Body.Length)
        {
            int sent = socket.Send(slot.Body.Span[slot.BodySent..], SocketFlags.None, out var error);
            if (error == SocketError.WouldBlock) return;
            if (error != SocketError.Success) { Close(slot); return; }
            slot.BodySent += sent;
        }
        socket.Shutdown(SocketShutdown.Send);
        Close(slot);
    }

    private void Close(Connection slot)
    {
        if (slot.Snapshot is { } snapshot)
        {
            slot.Snapshot = null;
            _cache.Release(snapshot);
        }
        slot.Body = default;
        slot.Answering = false;
        slot.Socket?.Dispose();
        slot.Socket = null;
    }

    public void Dispose()
    {
        _stopping = true;
        _listener.Dispose(); // the poll notices within IdleWait
        _thread.Join(TimeSpan.FromSeconds(5));
    }
}
