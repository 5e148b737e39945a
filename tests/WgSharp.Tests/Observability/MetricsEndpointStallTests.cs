using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Microsoft.Extensions.Logging.Abstractions;
using WgSharp.Cli.Daemon;
using Xunit.Abstractions;

namespace WgSharp.Tests.Observability;

/// <summary>
/// Issue 21, finding 2: no client can stall the metrics endpoint. The old endpoint served one connection at a time
/// with a fresh 5 s timeout per read, so every idle or trickling connection ahead of a scrape delayed it by its
/// whole deadline and Prometheus saw nothing.
/// </summary>
public sealed class MetricsEndpointStallTests(ITestOutputHelper output)
{
    [Fact]
    public async Task AScrapeIsAnsweredWhileFiftyIdleAndFiftyTricklingConnectionsAreHeld()
    {
        using var meter = new Meter($"stall-test-{Guid.NewGuid():N}");
        meter.CreateObservableCounter("wireguard_sent_bytes", () => new Measurement<long>(42, new KeyValuePair<string, object?>("interface", "wg0")));
        var listener = LoopbackListener(out int port);
        using var server = MetricsEndpoint.Serve(listener, new PrometheusExposition(meter.Name), NullLogger.Instance);

        var held = new List<Socket>();
        using var stopTrickling = new CancellationTokenSource();
        Task trickling = Task.CompletedTask;
        try
        {
            for (int i = 0; i < 50; i++) held.Add(await Connect(port)); // idle: connected, never a byte
            var tricklers = new List<Socket>();
            for (int i = 0; i < 50; i++)
            {
                var socket = await Connect(port);
                socket.Send("GET /metrics HTTP/1.1\r\nX-Slow: "u8); // a request that never ends
                tricklers.Add(socket);
                held.Add(socket);
            }
            trickling = Task.Run(async () =>
            {
                while (!stopTrickling.IsCancellationRequested)
                {
                    foreach (var socket in tricklers)
                    {
                        try { socket.Send("a"u8); }
                        catch (SocketException) { } // evicted: the server may close a trickler, which is fine
                    }
                    try { await Task.Delay(200, stopTrickling.Token); }
                    catch (OperationCanceledException) { }
                }
            });

            var watch = Stopwatch.StartNew();
            string response = await Scrape(port, "GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n", TimeSpan.FromSeconds(30));
            watch.Stop();
            output.WriteLine($"scrape answered in {watch.Elapsed.TotalMilliseconds:F0} ms with 50 idle and 50 trickling connections held");

            Assert.StartsWith("HTTP/1.1 200 OK\r\n", response);
            Assert.Contains("wireguard_sent_bytes_total{interface=\"wg0\"} 42\n", response);
            // The acceptance bound of issue 21 is 1 s; asserted generously (shared CI cores) but well below one
            // request deadline (5 s), which is what a single held connection ahead of the scrape used to cost.
            Assert.True(watch.Elapsed < TimeSpan.FromSeconds(4), $"scrape took {watch.Elapsed}");
        }
        finally
        {
            await stopTrickling.CancelAsync();
            await trickling;
            foreach (var socket in held) socket.Dispose();
        }
    }

    internal static Socket LoopbackListener(out int port)
    {
        var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen(512);
        port = ((IPEndPoint)listener.LocalEndPoint!).Port;
        return listener;
    }

    internal static async Task<Socket> Connect(int port)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(IPAddress.Loopback, port);
        return socket;
    }

    /// <summary>Sends one raw request and reads the whole response (the server closes after it).</summary>
    internal static async Task<string> Scrape(int port, string request, TimeSpan timeout)
    {
        using var cancel = new CancellationTokenSource(timeout);
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(IPAddress.Loopback, port, cancel.Token);
        await socket.SendAsync(Encoding.ASCII.GetBytes(request), cancel.Token);
        return await ReadToEnd(socket, cancel.Token);
    }

    internal static async Task<string> ReadToEnd(Socket socket, CancellationToken cancel)
    {
        var received = new MemoryStream();
        var buffer = new byte[65536];
        while (true)
        {
            int read;
            try { read = await socket.ReceiveAsync(buffer, cancel); }
            catch (SocketException) { break; } // reset after the answer: what arrived is the answer
            if (read == 0) break;
            received.Write(buffer, 0, read);
        }
        return Encoding.UTF8.GetString(received.ToArray());
    }
}
