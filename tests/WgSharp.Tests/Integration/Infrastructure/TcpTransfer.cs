using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;

namespace WgSharp.Tests.Integration.Infrastructure;

/// <summary>
/// Sends a deterministic pseudo-random byte stream over TCP from one namespace to another, in-process:
/// the sockets are created inside the namespaces, and the receiver checks length and SHA-256.
/// </summary>
internal static class TcpTransfer
{
    public sealed record Result(long Bytes, TimeSpan Elapsed, bool HashMatches)
    {
        public double MegabitsPerSecond => Bytes * 8 / 1e6 / Elapsed.TotalSeconds;
    }

    private const int ChunkSize = 64 * 1024;

    public static Result Run(NetworkNamespace serverNamespace, string serverAddress, NetworkNamespace clientNamespace, long bytes, TimeSpan timeout, int seed = 1)
    {
        var address = IPAddress.Parse(serverAddress);
        using var listener = serverNamespace.Run(() =>
        {
            var socket = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
            socket.Bind(new IPEndPoint(address, 0));
            socket.Listen(1);
            return socket;
        });
        using var client = clientNamespace.Run(() => new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp));
        var timeoutMs = (int)timeout.TotalMilliseconds;
        client.SendTimeout = timeoutMs;
        client.ReceiveTimeout = timeoutMs;

        var receiver = Task.Factory.StartNew(() => Receive(listener, timeoutMs), TaskCreationOptions.LongRunning);
        var clock = Stopwatch.StartNew();
        client.Connect(listener.LocalEndPoint!);
        var sentHash = Send(client, bytes, seed);
        client.Shutdown(SocketShutdown.Send);
        if (!receiver.Wait(timeout))
        {
            listener.Dispose();
            client.Dispose();
            throw new TimeoutException($"TCP transfer of {bytes} bytes did not finish within {timeout}");
        }
        clock.Stop();
        var (receivedBytes, receivedHash) = receiver.Result;
        return new Result(receivedBytes, clock.Elapsed, receivedBytes == bytes && receivedHash.AsSpan().SequenceEqual(sentHash));
    }

    private static byte[] Send(Socket socket, long bytes, int seed)
    {
        var random = new Random(seed);
        var chunk = new byte[ChunkSize];
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        for (long remaining = bytes; remaining > 0;)
        {
            var length = (int)Math.Min(remaining, chunk.Length);
            random.NextBytes(chunk.AsSpan(0, length));
            hash.AppendData(chunk, 0, length);
            for (var offset = 0; offset < length;)
                offset += socket.Send(chunk.AsSpan(offset, length - offset));
            remaining -= length;
        }
        return hash.GetHashAndReset();
    }

    private static (long Bytes, byte[] Hash) Receive(Socket listener, int timeoutMs)
    {
        using var connection = listener.Accept();
        connection.ReceiveTimeout = timeoutMs;
        var buffer = new byte[ChunkSize];
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        long total = 0;
        int n;
        while ((n = connection.Receive(buffer)) > 0)
        {
            hash.AppendData(buffer, 0, n);
            total += n;
        }
        return (total, hash.GetHashAndReset());
    }
}
