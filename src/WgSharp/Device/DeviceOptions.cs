namespace WgSharp.Device;

/// <summary>Knobs of a device that tests and benchmarks need; defaults are what users get.</summary>
internal sealed class DeviceOptions
{
    /// <summary>
    /// Makes protocol time run this many times faster than real time (all WireGuard timers
    /// shrink by this factor). A test hook only (env WGSHARP_TIME_SCALE); 1 in production.
    /// </summary>
    public double TimeScale { get; init; } = 1.0;

    /// <summary>Start with the debug log on (env LOG_LEVEL=debug, as wireguard-go reads it).</summary>
    public bool Debug { get; init; }

    /// <summary>Handshake messages queued before new ones are dropped; "under load" at 1/8 of it.</summary>
    public int HandshakeQueueCapacity { get; init; } = 4096;

    /// <summary>Force "under load" (cookie replies for every initiation without mac2); a test hook.</summary>
    public bool ForceUnderLoad { get; init; }

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

    /// <summary>Called on the sealing thread after each sealed run (a test hook: which threads seal).</summary>
    internal Action? SealObserver { get; init; }
}
