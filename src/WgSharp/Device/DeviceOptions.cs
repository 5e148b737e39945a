namespace WgSharp.Device;

/// <summary>Knobs of a device that tests and benchmarks need; defaults are what users get.</summary>
internal sealed class DeviceOptions
{
    /// <summary>
    /// The clock of every protocol timer and session age: the system's in production; tests pass a fake one
    /// (advanced by hand) or one that runs faster than real time.
    /// </summary>
    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;

    /// <summary>Start with the debug log on (env LOG_LEVEL=debug, as wireguard-go reads it).</summary>
    public bool Debug { get; init; }

    /// <summary>Handshake messages queued before new ones are dropped.</summary>
    public int HandshakeQueueCapacity { get; init; } = 4096;

    /// <summary>
    /// Queued handshake messages from which the device counts as under load (cookie replies for initiations without
    /// a valid mac2). Default (-1): an eighth of <see cref="HandshakeQueueCapacity"/>, as wireguard-go; 0: always.
    /// </summary>
    public int UnderLoadQueueLength { get; init; } = -1;

    /// <summary>The queue length <see cref="UnderLoadQueueLength"/> stands for.</summary>
    internal int EffectiveUnderLoadQueueLength => UnderLoadQueueLength >= 0 ? UnderLoadQueueLength : HandshakeQueueCapacity / 8;

    /// <summary>Threads doing handshake work (Diffie-Hellman); 0 means one per core.</summary>
    public int HandshakeWorkers { get; init; }

    /// <summary>
    /// Use the kernel's offloads: TUN super-packets (virtio header, TSO) and UDP GSO/GRO. False turns them all
    /// off, for kernels whose offloads are broken (the daemon's WGSHARP_OFFLOADS=0). The device core has no offloads
    /// of its own: whoever builds the tunnel and transport factory passes this to them (LinuxTunnel, LinuxDatagramTransportFactory).
    /// </summary>
    public bool Offloads { get; init; } = true;

    /// <summary>
    /// Most threads that seal and open at once (docs/pipeline.md), the reading threads included: the device's
    /// crypto pool starts CryptoThreads - 1 workers; 1 runs all crypto inline on the reading threads.
    /// 0 (default): one per core from 3 cores up, 1 on 1-2 cores, where handing work to another core costs
    /// more CPU per GB than it wins (the daemons, the applications and the kernel already share both cores).
    /// </summary>
    public int CryptoThreads { get; init; }

    /// <summary>The crypto thread count <see cref="CryptoThreads"/> stands for on this machine.</summary>
    internal int EffectiveCryptoThreads =>
        CryptoThreads > 0 ? CryptoThreads : Environment.ProcessorCount <= 2 ? 1 : Environment.ProcessorCount;
}
