using System.Collections.Concurrent;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using WgSharp.Configuration;

namespace WgSharp.Control.Uapi;

/// <summary>
/// The UAPI listener: a Unix stream socket at /var/run/wireguard/IFNAME.sock (directory 0755,
/// socket 0600) through which wg(8) and wg-quick(8) read and change the device. Serves many
/// clients at once; a misbehaving client only loses its own connection. Like wireguard-go, it
/// notices when somebody deletes the socket file (<see cref="SocketRemoved"/>: wireguard-go exits
/// then, which is how the daemon can be told to go away). Dispose stops serving and removes the file.
/// </summary>
internal sealed class UapiServer : IDisposable, IAsyncDisposable
{
    private const int ListenBacklog = 64;
    private static readonly TimeSpan SocketPollInterval = TimeSpan.FromSeconds(2);

    private readonly IDeviceControl _device;
    private readonly ILogger _logger;
    private readonly Socket _listener;
    private readonly TimeSpan _requestTimeout;
    private readonly object _applyLock = new();
    private readonly CancellationTokenSource _shutdown = new();
    private readonly CancellationTokenSource _socketRemoved = new();
    private readonly ConcurrentDictionary<Socket, Task> _clients = new();
    private readonly FileSystemWatcher? _watcher;
    private readonly Timer _pollTimer;
    private readonly Task _acceptLoop;
    private int _disposed;

    private UapiServer(string socketPath, Socket listener, IDeviceControl device, ILogger logger, TimeSpan requestTimeout)
    {
        SocketPath = socketPath;
        _listener = listener;
        _device = device;
        _logger = logger;
        _requestTimeout = requestTimeout;
        _watcher = TryWatch(socketPath);
        // inotify can miss events (e.g. a removed directory); a slow poll backs it up.
        _pollTimer = new Timer(_ => CheckSocketFile(), null, SocketPollInterval, SocketPollInterval);
        _acceptLoop = Task.Run(AcceptLoopAsync);
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
    /// stale socket atomically, and it keeps the file's removal in our hands: .NET deletes the
    /// path a Unix socket was bound to when the socket is disposed, which must not hit a socket
    /// that another daemon has put at our path after ours was deleted.
    /// </summary>
    private static Socket Bind(string socketPath, ILogger logger)
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
        var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            using (UnixFileCreationMask.Set(0x3F)) socket.Bind(new UnixDomainSocketEndPoint(temporaryPath)); // umask 077
            // Belt and braces in case the umask was not honoured.
            File.SetUnixFileMode(temporaryPath, UnixFileMode.UserRead | UnixFileMode.UserWrite);
            socket.Listen(ListenBacklog);
            if (existed) logger.LogInformation("UAPI: replacing stale socket {Path}", fullPath);
            File.Move(temporaryPath, fullPath, overwrite: true);
            return socket;
        }
        catch
        {
            socket.Dispose();
            try { File.Delete(temporaryPath); } catch (IOException) { }
            throw;
        }
    }

    private async Task AcceptLoopAsync()
    {
        var token = _shutdown.Token;
        while (!token.IsCancellationRequested)
        {
            Socket client;
            try
            {
                client = await _listener.AcceptAsync(token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) { break; }
            catch (ObjectDisposedException) { break; }
            catch (Exception ex)
            {
                // Typically EMFILE; back off instead of spinning, and keep serving.
                _logger.LogWarning(ex, "UAPI: accept failed");
                try { await Task.Delay(100, token).ConfigureAwait(false); } catch (OperationCanceledException) { break; }
                continue;
            }

            if (_clients.Count >= UapiLimits.MaxConcurrentClients)
            {
                _logger.LogWarning("UAPI: more than {Max} clients, refusing one", UapiLimits.MaxConcurrentClients);
                client.Dispose();
                continue;
            }
            // Register before starting: a client that leaves at once removes its own entry.
            _clients[client] = Task.CompletedTask;
            _clients.TryUpdate(client, ServeAsync(client, token), Task.CompletedTask);
        }
    }

    private async Task ServeAsync(Socket client, CancellationToken token)
    {
        await Task.Yield(); // leave the accept loop at once
        try
        {
            await using var stream = new NetworkStream(client, ownsSocket: false);
            await new UapiConnection(stream, _device, _applyLock, _logger, _requestTimeout).RunAsync(token).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or SocketException or OperationCanceledException or ObjectDisposedException)
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

    private FileSystemWatcher? TryWatch(string socketPath)
    {
        try
        {
            var watcher = new FileSystemWatcher(Path.GetDirectoryName(Path.GetFullPath(socketPath))!, Path.GetFileName(socketPath))
            {
                NotifyFilter = NotifyFilters.FileName | NotifyFilters.Attributes,
            };
            watcher.Deleted += (_, _) => CheckSocketFile();
            watcher.Renamed += (_, _) => CheckSocketFile();
            watcher.Error += (_, _) => CheckSocketFile();
            watcher.EnableRaisingEvents = true;
            return watcher;
        }
        catch (Exception ex) when (ex is IOException or ArgumentException or PlatformNotSupportedException)
        {
            _logger.LogDebug("UAPI: cannot watch {Path} ({Reason}); polling only", socketPath, ex.Message);
            return null;
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

    public void Dispose() => DisposeAsync().AsTask().GetAwaiter().GetResult();

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        _watcher?.Dispose();
        await _pollTimer.DisposeAsync().ConfigureAwait(false);
        _shutdown.Cancel();
        _listener.Dispose();
        foreach (var client in _clients.Keys)
        {
            try { client.Shutdown(SocketShutdown.Both); } catch (Exception ex) when (ex is SocketException or ObjectDisposedException) { }
        }
        try
        {
            await Task.WhenAll(_clients.Values.Append(_acceptLoop)).WaitAsync(TimeSpan.FromSeconds(5)).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            _logger.LogWarning("UAPI: some clients did not finish within 5 s of shutdown");
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
        _shutdown.Dispose();
        _socketRemoved.Dispose();
        _logger.LogInformation("UAPI: stopped listening on {Path}", SocketPath);
    }
}
