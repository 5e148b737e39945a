using System.Net.Sockets;

namespace WgSharp.Cli.Proxy.Relay;

/// <summary>Describes a client's failure for the debug log in one line: the message, never a stack trace.</summary>
internal static class ClientErrors
{
    public static string Describe(Exception e) => e switch
    {
        OperationCanceledException => "timed out",
        ProxyClientException or Http.ProxyClientBodyException => e.Message,
        SocketException s => s.Message,
        IOException { InnerException: SocketException s } => s.Message,
        _ => $"{e.GetType().Name}: {e.Message}",
    };
}

/// <summary>A client's request failed for a reason already put in words (logged at debug as is).</summary>
internal sealed class ProxyClientException(string message) : Exception(message);
