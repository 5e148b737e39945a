using System.Runtime.Versioning;
using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using WgSharp.Configuration;
using WgSharp.Linux;

namespace WgSharp.Control.Uapi;

/// <summary>
/// The UAPI listener: a Unix stream socket at /var/run/wireguard/IFNAME.sock (directory 0755,
/// socket 0600) through which wg(8) and wg-quick(8) read and change the device. Serves many
/// clients at once; a misbehaving client only loses its own connection. Like wireguard-go, it
/// notices when somebody deletes the socket file (<see cref="SocketRemoved"/>: wireguard-go exits
/// then, which is how the daemon can be told to go away). Dispose stops serving and removes the file.
/// Threads: one (wg-uapi) accepts and checks the socket file between accepts; each connected client gets a
/// thread of its own (wg-uapi-client) for as long as it stays. An idle daemon thus has one thread here, and
/// neither the thread pool, the runtime's timer nor its socket engine is ever started for the control socket.
/// </summary>
[SupportedOSPlatform("linux")]
internal sealed class UapiServer : IDisposable, IAsyncDisposable
{
    private const int ListenBacklog = 64;
    /// <summary>How often the accept thread looks for the socket file when nobody connects.</summary>
    private static readonly TimeSpan SocketPollInterval = TimeSpan.FromSeconds(1);
    /// <summary>Connections are short and their parsing shallow: a small stack is plenty.</summary>
    private const int ClientThreadStackBytes = 256 * 1024;
    private static readonly TimeSpan ShutdownGrace = TimeSpan.FromSeconds(5);

    private readonly IDeviceControl _device;
    private readonly ILogger _logger;
    private readonly UnixStreamSocket _listener;
    private readonly TimeSpan _requestTimeout;
    private readonly CancellationTokenSource _socketRemoved = new();
    private readonly ConcurrentDictionary<UnixStreamSocket, Thread> _clients = new();
    private readonly Thread _acceptThread;
    private int _disposed;

    private UapiServer(string socketPath, UnixStreamSocket listener, IDeviceControl device, ILogger logger, TimeSpan requestTimeout)
    {
        SocketPath = socketPath;
        _listener = listener;
        _device = new SerializedDeviceControl(device); // shared by every connection: one set at a time
        _logger = logger;
        _requestTimeout = requestTimeout;
        _acceptThread = new Thread(AcceptLoop) { IsBackground = true, Name = "wg-uapi" };
        _acceptThread.Start();
    }

    public string SocketPath { get; }

    /// <summary>Cancelled when the socket file disappears or is replaced while we serve it.</summary>
    public CancellationToken SocketRemoved => _socketRemoved.Token;

    /// <summary>Serves <paramref name="device"/> on DIR/IFNAME.sock, with DIR defaulting to /var/run/wireguard.</summary>
    /// <exception cref="UapiSocketInUseException">Another live daemon owns the socket.</exception>
    public static UapiServer Start(IDeviceControl device, ILogger logger, string socketDirectory = UapiProtocol.DefaultSocketDirectory) =>
        StartAt(UapiProtocol.SocketPathFor(device.InterfaceName, socketDirectory), device, logger);

    /// <summary>Serves <paramref name="device"/> on an explicit socket path (tests, unusual layouts).</summary>
    /// <exception cref="UapiSocketInUseException">Another live daemon owns the socket.</exception>
    public static UapiServer StartAt(string socketPath, IDeviceControl device, ILogger logger, TimeSpan? requestTimeout = null)
    {
        ArgumentNullException.ThrowIfNull(device);
        ArgumentNullException.ThrowIfNull(logger);
        var listener = Bind(socketPath, logger);
        logger.LogInformation("UAPI: listening on {Path}", socketPath);
        return new UapiServer(socketPath, listener, device, logger, requestTimeout ?? UapiLimits.RequestTimeout);
    }

    /// <summary>
    /// Binds the socket under a temporary name and renames it into place. The rename replaces a
    /// stale socket atomically, and it keeps the file's removal in our hands: it must never hit a
    /// socket that another daemon has put at our path after ours was deleted.
    /// </summary>
    private static UnixStreamSocket Bind(string socketPath, ILogger logger)
    {
        if (OperatingSystem.IsWindows()) throw new PlatformNotSupportedException("the UAPI socket is a Unix socket");
        string fullPath = Path.GetFullPath(socketPath);
        string directory = Path.GetDirectoryName(fullPath)!;
        Directory.CreateDirectory(directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute |
            UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute);

        if (Directory.Exists(fullPath)) throw new IOException($"UAPI socket path {fullPath} is a directory");
        bool existed = File.Exists(fullPath);
        if (existed && UapiSocketProbe.IsServing(fullPath)) throw new UapiSocketInUseException(fullPath);

        // Not ending in ".sock", so wg(8) never lists it as an interface.
        string temporaryPath = Path.Combine(directory, $".{Path.GetFileName(fullPath)}-{Guid.NewGuid().ToString("N")[..8]}.tmp");
        UnixStreamSocket? socket = null;
        try
        {
            using (UnixFileCreationMask.Set(0x3F)) socket = UnixStreamSocket.Listen(temporaryPath, ListenBacklog); // umask 077
            // Belt and braces in case the umask was not honoured.
            File.SetUnixFileMode(temporaryPath, UnixFileMode.UserRead | UnixFileMode.UserWrite);
            if (existed) logger.LogInformation("UAPI: replacing stale socket {Path}", fullPath);
            File.Move(temporaryPath, fullPath, overwrite: true);
            return socket;
        }
        catch
        {
            socket?.Dispose();
            try { File.Delete(temporaryPath); } catch (IOException) { }
            throw;
        }
    }

    private void AcceptLoop()
    {
        while (Volatile.Read(ref _disposed) == 0)
        {
            UnixStreamSocket? client;
            try
            {
                // Between connections (and at least once per interval) look whether our file is still there.
                if (!_listener.PollReadable(SocketPollInterval))
                {
                    CheckSocketFile();
                    continue;
                }
                if (Volatile.Read(ref _disposed) != 0) break;
                client = _listener.Accept();
            }
            catch (ObjectDisposedException) { break; }
            catch (LinuxIoException ex)
            {
                if (Volatile.Read(ref _disposed) != 0) break;
                // Typically EMFILE; back off instead of spinning, and keep serving.
                _logger.LogWarning("UAPI: accept failed: {Reason}", ex.Message);
                Thread.Sleep(100);
                continue;
            }
            CheckSocketFile();
            if (client is null) continue; // the client left before we took it

            if (_clients.Count >= UapiLimits.MaxConcurrentClients)
            {
                _logger.LogWarning("UAPI: more than {Max} clients, refusing one", UapiLimits.MaxConcurrentClients);
                client.Dispose();
                continue;
            }
            var thread = new Thread(() => Serve(client), ClientThreadStackBytes) { IsBackground = true, Name = "wg-uapi-client" };
            _clients[client] = thread; // registered before it runs: the thread removes its own entry when it ends
            try { thread.Start(); }
            catch (OutOfMemoryException)
            {
                _clients.TryRemove(client, out _);
                client.Dispose();
                _logger.LogWarning("UAPI: cannot start a thread for a client, refusing it");
            }
            if (Volatile.Read(ref _disposed) != 0) client.Shutdown(); // Dispose may have missed it
        }
    }

    private void Serve(UnixStreamSocket client)
    {
        try
        {
            using var stream = new SocketDeadlineStream(client);
            new UapiConnection(stream, _device, _logger, _requestTimeout).Run();
        }
        catch (Exception ex) when (ex is IOException or ObjectDisposedException)
        {
            _logger.LogDebug("UAPI: client connection ended: {Reason}", ex.Message);
        }
        catch (Exception ex)
        {
            _logger.LogError(ex, "UAPI: client handler failed");
        }
        finally
        {
            client.Dispose();
            _clients.TryRemove(client, out _);
        }
    }

    private void CheckSocketFile()
    {
        if (Volatile.Read(ref _disposed) != 0 || _socketRemoved.IsCancellationRequested) return;
        if (File.Exists(SocketPath)) return;
        _logger.LogWarning("UAPI: socket {Path} was removed", SocketPath);
        try { _socketRemoved.Cancel(); }
        catch (ObjectDisposedException) { }
        catch (AggregateException ex) { _logger.LogError(ex, "UAPI: a SocketRemoved callback failed"); }
    }

    public ValueTask DisposeAsync()
    {
        Dispose();
        return ValueTask.CompletedTask;
    }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        // Wakes the accept thread out of its poll (a shut-down listener reads as ready), then closes it.
        _listener.Shutdown();
        if (Thread.CurrentThread != _acceptThread) _acceptThread.Join(SocketPollInterval * 2);
        _listener.Dispose();
        // Blocked reads return when their socket is shut down; each client thread then ends by itself.
        foreach (var client in _clients.Keys) client.Shutdown();
        var deadline = DateTime.UtcNow + ShutdownGrace;
        foreach (var thread in _clients.Values)
        {
            if (thread == Thread.CurrentThread) continue;
            var left = deadline - DateTime.UtcNow;
            if (left <= TimeSpan.Zero || !thread.Join(left))
            {
                _logger.LogWarning("UAPI: some clients did not finish within 5 s of shutdown");
                break;
            }
        }

        // If someone removed our file, the path may now be another daemon's socket: leave it alone.
        if (!_socketRemoved.IsCancellationRequested)
        {
            try { File.Delete(SocketPath); }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                _logger.LogWarning("UAPI: could not remove {Path}: {Reason}", SocketPath, ex.Message);
            }
        }
        _socketRemoved.Dispose();
        _logger.LogInformation("UAPI: stopped listening on {Path}", SocketPath);
    }
}
