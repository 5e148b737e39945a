using System.Net;
using System.Net.Sockets;
using WgSharp.Keys;
using WgSharp.Linux;
using WgSharp.Tests.Integration.Infrastructure;

namespace WgSharp.Tests.Embedding;

/// <summary>The embedding API end to end: real TUN interfaces in namespaces, real UDP on loopback (root).</summary>
[Collection(NetnsCollection.Name)]
[Trait(TestTiers.Name, TestTiers.Root)]
public class WireGuardInterfaceTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task TwoEmbeddedInterfacesPingEachOtherAndReportTheHandshake()
    {
        await using var pair = await EmbeddedPair.StartAsync();

        Assert.True(NetworkChecks.WaitForPing(pair.NamespaceA, "10.77.0.2", Patience));

        var status = pair.A.GetStatus();
        Assert.Equal(pair.A.Name, status.Name);
        Assert.Equal(KeyGenerator.DerivePublicKey(pair.KeyA), status.PublicKey);
        Assert.Equal(pair.A.ListenPort, status.ListenPort);
        var peer = Assert.Single(status.Peers);
        Assert.Equal(KeyGenerator.DerivePublicKey(pair.KeyB), peer.PublicKey);
        Assert.Equal([IPNetwork.Parse("10.77.0.2/32")], peer.AllowedIPs);
        Assert.NotNull(peer.LastHandshake);
        Assert.True(peer.SentBytes > 0 && peer.ReceivedBytes > 0);
    }

    [Fact]
    public async Task AnEmbeddedInterfacePublishesItsCountersOnTheWgSharpMeter()
    {
        await using var pair = await EmbeddedPair.StartAsync();
        Assert.True(NetworkChecks.WaitForPing(pair.NamespaceA, "10.77.0.2", Patience));

        var sent = new List<(long Value, string? Interface)>();
        using var listener = new System.Diagnostics.Metrics.MeterListener();
        listener.InstrumentPublished = (instrument, l) => { if (instrument.Meter.Name == "WgSharp") l.EnableMeasurementEvents(instrument); };
        listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) =>
        {
            if (instrument.Name != "wireguard_sent_bytes") return;
            string? name = null;
            foreach (var tag in tags) if (tag.Key == "interface") name = tag.Value as string;
            lock (sent) sent.Add((value, name));
        });
        listener.Start();
        listener.RecordObservableInstruments();

        Assert.Contains(sent, m => m.Interface == pair.A.Name && m.Value > 0);
    }

    [Fact]
    public async Task WithTheControlSocketWgShowSeesTheEmbeddedInterface()
    {
        await using var pair = await EmbeddedPair.StartAsync(controlSocket: true);

        var dump = CommandRunner.Run("wg", ["show", pair.A.Name, "dump"]).EnsureSuccess().StandardOutput;

        Assert.Contains(KeyGenerator.DerivePublicKey(pair.KeyB).ToBase64(), dump);
        Assert.Contains($"127.0.0.1:{pair.B.ListenPort}", dump);
    }

    [Fact]
    public async Task DeletingTheKernelInterfaceRaisesGoneAndCompletes()
    {
        using var netns = NetworkNamespace.Create();
        await using var wg = await WireGuardInterface.StartAsync(EmbeddedPair.Options(netns, KeyGenerator.GeneratePrivateKey()));
        int raised = 0;
        wg.Gone += (_, _) => Interlocked.Increment(ref raised);

        netns.Ip("link", "del", wg.Name);
        await wg.Completion.WaitAsync(Patience);

        Assert.Equal(1, Volatile.Read(ref raised));
        var e = Assert.Throws<WireGuardException>(() => wg.GetStatus());
        Assert.Equal(WireGuardErrorReason.InterfaceGone, e.Reason);
    }

    [Fact]
    public async Task RemovingTheControlSocketFileRaisesGoneAsWgQuickDownExpects()
    {
        using var netns = NetworkNamespace.Create();
        await using var wg = await WireGuardInterface.StartAsync(EmbeddedPair.Options(netns, KeyGenerator.GeneratePrivateKey(), controlSocket: true));
        int raised = 0;
        wg.Gone += (_, _) => Interlocked.Increment(ref raised);

        File.Delete($"/var/run/wireguard/{wg.Name}.sock");
        await wg.Completion.WaitAsync(Patience);

        Assert.Equal(1, Volatile.Read(ref raised));
    }

    [Fact]
    public async Task DisposingRemovesTheKernelInterfaceAndTheControlSocket()
    {
        using var netns = NetworkNamespace.Create();
        var wg = await WireGuardInterface.StartAsync(EmbeddedPair.Options(netns, KeyGenerator.GeneratePrivateKey(), controlSocket: true));
        var socket = $"/var/run/wireguard/{wg.Name}.sock";
        Assert.True(NetNs.LinkExists(netns.Name, wg.Name));
        Assert.True(File.Exists(socket));

        await wg.DisposeAsync();
        await wg.DisposeAsync(); // idempotent

        Assert.False(NetNs.LinkExists(netns.Name, wg.Name));
        Assert.False(File.Exists(socket));
        Assert.True(wg.Completion.IsCompleted);
    }

    [Fact]
    public async Task TheNameOfAnExistingNonTunInterfaceFailsWithInterfaceExists()
    {
        using var netns = NetworkNamespace.Create(); // its own lo: the one interface every namespace has
        var options = EmbeddedPair.Options(netns, KeyGenerator.GeneratePrivateKey()) with { Name = "lo" };

        var e = await Assert.ThrowsAsync<WireGuardException>(() => WireGuardInterface.StartAsync(options));

        Assert.Equal(WireGuardErrorReason.InterfaceExists, e.Reason);
        Assert.True(NetNs.LinkExists(netns.Name, "lo"));
    }

    [Fact]
    public async Task ATakenPortFailsWithPortInUseAndLeavesNothingBehind()
    {
        using var netns = NetworkNamespace.Create();
        using var taken = new UdpClient(new IPEndPoint(IPAddress.Any, 0));
        var port = ((IPEndPoint)taken.Client.LocalEndPoint!).Port;
        var options = EmbeddedPair.Options(netns, KeyGenerator.GeneratePrivateKey()) is var o
            ? o with { Configuration = o.Configuration with { ListenPort = port } } : null!;

        var e = await Assert.ThrowsAsync<WireGuardException>(() => WireGuardInterface.StartAsync(options));

        Assert.Equal(WireGuardErrorReason.PortInUse, e.Reason);
        Assert.False(NetNs.LinkExists(netns.Name, options.Name));
    }

    [Fact]
    public async Task AnInvalidNewConfigurationThrowsAndChangesNothing()
    {
        await using var pair = await EmbeddedPair.StartAsync();
        var before = pair.A.GetStatus();
        var peer = before.Peers[0];
        var duplicate = new InterfaceConfiguration
        {
            PrivateKey = pair.KeyA,
            Peers = [new PeerConfiguration { PublicKey = peer.PublicKey }, new PeerConfiguration { PublicKey = peer.PublicKey }],
        };

        var e = Assert.Throws<WireGuardException>(() => pair.A.Configure(duplicate));

        Assert.Equal(WireGuardErrorReason.InvalidConfiguration, e.Reason);
        Assert.Equal(before.Peers[0].AllowedIPs, pair.A.GetStatus().Peers[0].AllowedIPs);
        Assert.Equal(before.Peers[0].Endpoint, pair.A.GetStatus().Peers[0].Endpoint);
    }

    [Theory]
    [InlineData("", WireGuardErrorReason.InvalidConfiguration)]
    [InlineData("much-too-long-interface-name", WireGuardErrorReason.InvalidConfiguration)]
    public async Task InvalidOptionsThrowBeforeAnythingIsCreated(string name, WireGuardErrorReason reason)
    {
        var e = await Assert.ThrowsAsync<WireGuardException>(() => WireGuardInterface.StartAsync(new WireGuardInterfaceOptions { Name = name }));
        Assert.Equal(reason, e.Reason);
    }

    [Fact]
    public async Task AMissingNamespaceIsNamespaceNotFound()
    {
        var options = new WireGuardInterfaceOptions { Name = TestNames.NewInterface(), NetworkNamespace = TestNames.NewNamespace() };
        var e = await Assert.ThrowsAsync<WireGuardException>(() => WireGuardInterface.StartAsync(options));
        Assert.Equal(WireGuardErrorReason.NamespaceNotFound, e.Reason);
    }

    [Fact]
    public async Task AKeepaliveOutOfRangeIsInvalidConfiguration()
    {
        var options = new WireGuardInterfaceOptions
        {
            Name = TestNames.NewInterface(),
            Configuration = new InterfaceConfiguration
            {
                Peers = [new PeerConfiguration { PublicKey = KeyGenerator.DerivePublicKey(KeyGenerator.GeneratePrivateKey()), PersistentKeepalive = TimeSpan.FromDays(2) }],
            },
        };
        var e = await Assert.ThrowsAsync<WireGuardException>(() => WireGuardInterface.StartAsync(options));
        Assert.Equal(WireGuardErrorReason.InvalidConfiguration, e.Reason);
    }

    [Fact]
    public async Task ACancelledStartCreatesNothing()
    {
        using var netns = NetworkNamespace.Create();
        var options = EmbeddedPair.Options(netns, KeyGenerator.GeneratePrivateKey());
        using var cancelled = new CancellationTokenSource();
        await cancelled.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => WireGuardInterface.StartAsync(options, cancellationToken: cancelled.Token));

        Assert.False(NetNs.LinkExists(netns.Name, options.Name));
    }

    [Fact]
    public void AStatusPrintsItsPublicKeyAndHasNoSecretToPrint()
    {
        // Issue 22: a status is for logs and debuggers, so it shows the peer's public key; it holds no secret at all
        // (HasPresharedKey, not the key; the records' text is checked against secrets in PublicRecordTextTests).
        var publicKey = KeyGenerator.DerivePublicKey(KeyGenerator.GeneratePrivateKey());
        var status = new WireGuardPeerStatus { PublicKey = publicKey, HasPresharedKey = true };
        Assert.Contains(publicKey.ToBase64(), status.ToString());
        Assert.DoesNotContain(typeof(WireGuardPeerStatus).GetProperties(), p => p.PropertyType == typeof(Key) && p.Name != nameof(WireGuardPeerStatus.PublicKey));
    }
}
