using System.Net;

namespace WgSharp;

/// <summary>A TCP listening port on the tunnel address; peers connect to it. Dispose stops listening.</summary>
public sealed class TunnelListener : IAsyncDisposable, IDisposable
{
    internal TunnelListener() => throw new NotImplementedException("API helper");

    /// <summary>The address and port listened on.</summary>
    public IPEndPoint LocalEndPoint => throw new NotImplementedException();

    /// <summary>The next incoming connection; ObjectDisposedException once the listener is disposed.</summary>
    public ValueTask<TunnelStream> AcceptAsync(CancellationToken cancellationToken = default) => throw new NotImplementedException();

    /// <summary>Stops listening; connections not yet accepted are reset.</summary>
    public void Dispose() => throw new NotImplementedException();
    /// <summary>Stops listening (<see cref="Dispose"/>).</summary>
    public ValueTask DisposeAsync() => throw new NotImplementedException();
}
