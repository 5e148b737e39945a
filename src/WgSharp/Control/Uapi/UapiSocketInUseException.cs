namespace WgSharp.Control.Uapi;

/// <summary>Another live process already serves the UAPI socket path (wireguard-go: "unix socket in use").</summary>
internal sealed class UapiSocketInUseException(string socketPath)
    : IOException($"UAPI socket {socketPath} is in use by another running daemon")
{
    public string SocketPath { get; } = socketPath;
}
