using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;

namespace WgSharp.UserspaceProbe;

/// <summary>The probe's commands; each prints one "result ..." line (or throws, and Program prints the error).</summary>
internal sealed class Commands(WireGuardNetwork network, ProbeOptions options, CancellationToken cancellationToken)
{
    private const int ChunkSize = 64 * 1024;

    public Task RunAsync() => options.Command switch
    {
        "fetch" => FetchAsync(options.Argument(0)),
        "download" => DownloadAsync(ParseEndPoint(options.Argument(0)), options.LongArgument(1)),
        "upload" => UploadAsync(ParseEndPoint(options.Argument(0)), options.LongArgument(1)),
        "serve" => ServeAsync((int)options.LongArgument(0), options.Argument(1), options.Arguments.Length > 2 ? (int)options.LongArgument(2) : 1,
            options.Arguments.Length > 3 ? IPAddress.Parse(options.Argument(3)) : null),
        "serve-concurrent" => ServeConcurrentAsync((int)options.LongArgument(0)),
        "connect-many" => ConnectManyAsync(ParseEndPoint(options.Argument(0)), (int)options.LongArgument(1)),
        "udp-echo" => UdpEchoAsync(ParseEndPoint(options.Argument(0)), (int)options.LongArgument(1), (int)options.LongArgument(2)),
        "ping" => PingAsync(IPAddress.Parse(options.Argument(0))),
        "resolve" => ResolveAsync(options.Argument(0)),
        _ => throw new ArgumentException($"unknown command {options.Command}"),
    };

    /// <summary>Pings until the first answer so the handshake is done (a peer can then reach us); errors are ignored.</summary>
    public static async Task WakeAsync(WireGuardNetwork network, IPAddress address, CancellationToken cancellationToken)
    {
        for (int attempt = 0; attempt < 10; attempt++)
        {
            try
            {
                var rtt = await network.PingAsync(address, TimeSpan.FromSeconds(1), cancellationToken);
                Console.WriteLine($"awake address={address} rtt-ms={Ms(rtt)}");
                return;
            }
            catch (SocketException)
            {
            }
        }
        Console.WriteLine($"awake address={address} answered=false");
    }

    private async Task FetchAsync(string url)
    {
        using var client = new HttpClient(network.CreateHttpMessageHandler()) { Timeout = options.Timeout };
        var clock = Stopwatch.StartNew();
        using var response = await client.GetAsync(url, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
        await using var body = await response.Content.ReadAsStreamAsync(cancellationToken);
        var (bytes, sha) = await HashUntilEndAsync(body);
        Console.WriteLine($"result command=fetch status={(int)response.StatusCode} bytes={bytes} sha256={sha} seconds={Seconds(clock)}");
    }

    // Download and upload measure what the transfer itself costs an application: the buffer, the hash and the async
    // method's state are set up before the window opens (an application has them already), and the window closes
    // before the result line is formatted.
    private async Task DownloadAsync(EndPoint server, long expected)
    {
        await using var stream = await network.ConnectAsync(server, cancellationToken);
        Console.WriteLine($"connected local={stream.LocalEndPoint} remote={stream.RemoteEndPoint}");
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var buffer = new byte[ChunkSize];
        var clock = new Stopwatch();
        double cpu = Identity.CpuSeconds();
        var gc = GcFigures.Now();
        clock.Start();
        long bytes = 0;
        for (int read; (read = await stream.ReadAsync(buffer, cancellationToken)) > 0; bytes += read)
            hash.AppendData(buffer, 0, read);
        var gcEnd = GcFigures.Now();
        Console.WriteLine($"result command=download bytes={bytes} expected={expected} sha256={Convert.ToHexStringLower(hash.GetHashAndReset())} " +
            $"seconds={Seconds(clock)} cpu-seconds={Invariant(Identity.CpuSeconds() - cpu)} {gcEnd.Since(gc)}");
    }

    private async Task UploadAsync(EndPoint server, long count)
    {
        await using var stream = await network.ConnectAsync(server, cancellationToken);
        Console.WriteLine($"connected local={stream.LocalEndPoint} remote={stream.RemoteEndPoint}");
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var reply = new byte[256]; // the server's answer: its sha256 in hex and a newline
        var clock = new Stopwatch();
        double cpu = Identity.CpuSeconds();
        var gc = GcFigures.Now();
        clock.Start();
        for (long sent = 0; sent < count;)
        {
            int length = (int)Math.Min(Pattern.Block.Length, count - sent);
            await stream.WriteAsync(Pattern.Block.AsMemory(0, length), cancellationToken);
            hash.AppendData(Pattern.Block, 0, length);
            sent += length;
        }
        // Half-close: the server sees end of stream and answers on the half still open.
        stream.ShutdownWrite();
        double sendSeconds = clock.Elapsed.TotalSeconds;
        int replyLength = 0;
        for (int read; replyLength < reply.Length && (read = await stream.ReadAsync(reply.AsMemory(replyLength), cancellationToken)) > 0;)
            replyLength += read;
        var gcEnd = GcFigures.Now();
        Console.WriteLine($"result command=upload bytes={count} sha256={Convert.ToHexStringLower(hash.GetHashAndReset())} " +
            $"reply={Encoding.ASCII.GetString(reply, 0, replyLength).Trim()} seconds={Seconds(clock)} send-seconds={Invariant(sendSeconds)} " +
            $"cpu-seconds={Invariant(Identity.CpuSeconds() - cpu)} {gcEnd.Since(gc)}");
    }

    /// <summary>
    /// Accepts <paramref name="count"/> connections one after another on <paramref name="port"/> of every address (or of
    /// <paramref name="address"/>); "echo" sends back what arrives, "sha256" its hash after EOF.
    /// </summary>
    private async Task ServeAsync(int port, string mode, int count, IPAddress? address)
    {
        if (mode is not ("echo" or "sha256"))
            throw new ArgumentException("serve: mode is echo or sha256");
        await using var listener = address is null ? network.Listen(port) : network.Listen(new IPEndPoint(address, port));
        Console.WriteLine($"listening local={listener.LocalEndPoint}");
        for (int served = 0; served < count; served++)
        {
            await using var stream = await listener.AcceptAsync(cancellationToken);
            long bytes;
            string sha;
            if (mode == "echo")
            {
                using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
                var buffer = new byte[ChunkSize];
                bytes = 0;
                for (int read; (read = await stream.ReadAsync(buffer, cancellationToken)) > 0; bytes += read)
                {
                    hash.AppendData(buffer, 0, read);
                    await stream.WriteAsync(buffer.AsMemory(0, read), cancellationToken);
                }
                sha = Convert.ToHexStringLower(hash.GetHashAndReset());
            }
            else
            {
                (bytes, sha) = await HashUntilEndAsync(stream);
                await stream.WriteAsync(Encoding.ASCII.GetBytes(sha + "\n"), cancellationToken);
            }
            Console.WriteLine($"result command=serve remote={stream.RemoteEndPoint} bytes={bytes} sha256={sha}");
        }
    }

    /// <summary>
    /// Echoes on <paramref name="port"/> to every connection at once until the timeout or SIGTERM, then reports how many
    /// came and how many ended in an error (a hostile peer's connections may be reset or abandoned; the others must work).
    /// </summary>
    private async Task ServeConcurrentAsync(int port)
    {
        await using var listener = network.Listen(port);
        Console.WriteLine($"listening local={listener.LocalEndPoint}");
        int accepted = 0, failed = 0;
        long echoed = 0;
        var connections = new List<Task>();
        async Task EchoAsync(TunnelStream stream)
        {
            await using (stream)
            {
                var buffer = new byte[ChunkSize];
                try
                {
                    for (int read; (read = await stream.ReadAsync(buffer, cancellationToken)) > 0;)
                    {
                        await stream.WriteAsync(buffer.AsMemory(0, read), cancellationToken);
                        Interlocked.Add(ref echoed, read);
                    }
                }
                catch (Exception e) when (e is IOException or System.Net.Sockets.SocketException or OperationCanceledException)
                {
                    Interlocked.Increment(ref failed);
                }
            }
        }
        try
        {
            while (true)
            {
                var stream = await listener.AcceptAsync(cancellationToken);
                accepted++;
                connections.Add(EchoAsync(stream));
            }
        }
        catch (OperationCanceledException)
        {
        }
        await Task.WhenAll(connections);
        Console.WriteLine($"result command=serve-concurrent accepted={accepted} failed={failed} echoed-bytes={echoed}");
    }

    /// <summary>
    /// Opens <paramref name="count"/> connections and holds them: the memory they cost idle (before any data), then
    /// one byte each way on every one (the server echoes) to show they all work.
    /// </summary>
    private async Task ConnectManyAsync(EndPoint server, int count)
    {
        const int Parallel = 32;
        long managedBefore = GC.GetTotalMemory(forceFullCollection: true);
        long workingSetBefore = Environment.WorkingSet;
        var streams = new TunnelStream[count];
        var clock = Stopwatch.StartNew();
        for (int start = 0; start < count; start += Parallel)
        {
            int end = Math.Min(count, start + Parallel);
            var batch = new Task<TunnelStream>[end - start];
            for (int i = start; i < end; i++)
                batch[i - start] = network.ConnectAsync(server, cancellationToken);
            for (int i = start; i < end; i++)
                streams[i] = await batch[i - start];
        }
        double connectSeconds = clock.Elapsed.TotalSeconds;
        long managedIdle = GC.GetTotalMemory(forceFullCollection: true);
        long workingSetIdle = Environment.WorkingSet;
        Console.WriteLine($"result command=connect-many connections={count} connect-seconds={Invariant(connectSeconds)} " +
            $"idle-managed-bytes-per-connection={(managedIdle - managedBefore) / count} " +
            $"idle-working-set-bytes-per-connection={(workingSetIdle - workingSetBefore) / count}");

        var one = new byte[1];
        int echoed = 0;
        foreach (var stream in streams)
        {
            one[0] = (byte)echoed;
            await stream.WriteAsync(one, cancellationToken);
            if (await stream.ReadAsync(one, cancellationToken) == 1 && one[0] == (byte)echoed)
                echoed++;
        }
        long managedUsed = GC.GetTotalMemory(forceFullCollection: true);
        Console.WriteLine($"result command=connect-many-echo echoed={echoed} " +
            $"used-managed-bytes-per-connection={(managedUsed - managedBefore) / count} " +
            $"used-working-set-bytes-per-connection={(Environment.WorkingSet - workingSetBefore) / count}");
        foreach (var stream in streams)
            await stream.DisposeAsync();
    }

    /// <summary>Sends numbered datagrams one at a time and waits up to a second for each echo; lost ones count as such.</summary>
    private async Task UdpEchoAsync(EndPoint server, int count, int size)
    {
        using var socket = network.BindUdp();
        var datagram = new byte[Math.Max(size, 4)];
        var reply = new byte[datagram.Length + 16];
        int received = 0;
        var rtts = new List<double>();
        for (int sequence = 0; sequence < count; sequence++)
        {
            BitConverter.TryWriteBytes(datagram, sequence);
            for (int i = 4; i < datagram.Length; i++)
                datagram[i] = (byte)(i + sequence);
            var clock = Stopwatch.StartNew();
            await socket.SendToAsync(datagram, server, cancellationToken);
            using var wait = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            wait.CancelAfter(TimeSpan.FromSeconds(1));
            try
            {
                var result = await socket.ReceiveFromAsync(reply, wait.Token);
                if (reply.AsSpan(0, result.ReceivedBytes).SequenceEqual(datagram))
                {
                    received++;
                    rtts.Add(clock.Elapsed.TotalMilliseconds);
                }
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                // lost: the next one
            }
        }
        Console.WriteLine($"result command=udp-echo local={socket.LocalEndPoint} sent={count} received={received} size={datagram.Length} " +
            $"rtt-avg-ms={Invariant(rtts.Count == 0 ? 0 : rtts.Average())}");
    }

    private async Task PingAsync(IPAddress address)
    {
        var rtts = new List<double>();
        for (int i = 0; i < 3; i++)
            rtts.Add((await network.PingAsync(address, TimeSpan.FromSeconds(5), cancellationToken)).TotalMilliseconds);
        Console.WriteLine($"result command=ping address={address} answered={rtts.Count} rtt-avg-ms={Invariant(rtts.Average())}");
    }

    private async Task ResolveAsync(string host)
    {
        var addresses = await network.ResolveAsync(host, cancellationToken);
        Console.WriteLine($"result command=resolve host={host} addresses={string.Join(',', addresses.Select(a => a.ToString()))}");
    }

    private async Task<(long Bytes, string Sha256)> HashUntilEndAsync(Stream stream)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var buffer = new byte[ChunkSize];
        long bytes = 0;
        for (int read; (read = await stream.ReadAsync(buffer, cancellationToken)) > 0; bytes += read)
            hash.AppendData(buffer, 0, read);
        return (bytes, Convert.ToHexStringLower(hash.GetHashAndReset()));
    }

    /// <summary>HOST:PORT: an IP literal (IPv6 in brackets) or a name resolved through the tunnel's DNS.</summary>
    private static EndPoint ParseEndPoint(string text)
    {
        if (IPEndPoint.TryParse(text, out var ip) && ip.Port != 0)
            return ip;
        int colon = text.LastIndexOf(':');
        if (colon <= 0 || !int.TryParse(text.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out int port))
            throw new ArgumentException($"not HOST:PORT: {text}");
        return new DnsEndPoint(text[..colon], port);
    }

    private static string Seconds(Stopwatch clock) => Invariant(clock.Elapsed.TotalSeconds);

    private static string Ms(TimeSpan time) => Invariant(time.TotalMilliseconds);

    private static string Invariant(double value) => value.ToString("0.###", CultureInfo.InvariantCulture);
}
