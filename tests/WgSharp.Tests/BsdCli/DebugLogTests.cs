using System.Globalization;
using WgSharp.Keys;
using WgSharp.Tests.Integration.Infrastructure;

namespace WgSharp.Tests.BsdCli;

/// <summary>
/// The manual's "common error messages", which the interface logs once `debug` is set. The
/// daemons run in the foreground with their log captured and protocol timers sped up tenfold.
/// </summary>
[Collection(NetnsCollection.Name)]
[Trait(TestTiers.Name, TestTiers.Root)]
public sealed class DebugLogTests : IDisposable
{
    private const string SenderTunnelAddress = "10.205.0.1/24", ReceiverTunnelAddress = "10.205.0.2";
    private static readonly TimeSpan LogTimeout = TimeSpan.FromSeconds(15);
    private readonly string _sender = TestNames.NewInterface(), _receiver = TestNames.NewInterface();
    private readonly RDomainLease _senderRDomain = RDomainLease.Take();
    private readonly string _receiverPort = FreePorts.Udp().ToString(CultureInfo.InvariantCulture);

    public DebugLogTests() => WgSharpCli.CleanUp([_sender, _receiver], [_senderRDomain.Number]);

    public void Dispose()
    {
        WgSharpCli.CleanUp([_sender, _receiver], [_senderRDomain.Number]);
        _senderRDomain.Dispose();
    }

    /// <summary>
    /// The sender knows the receiver's key, the receiver does not know the sender: the receiver
    /// rejects the initiation, and the sender keeps retrying.
    /// </summary>
    [Fact]
    public void UnknownSenderIsRejectedAndTheHandshakeRetried()
    {
        using var receiver = new ForegroundDaemon(_receiver);
        using var sender = new ForegroundDaemon(_sender);
        var receiverKey = KeyGenerator.GeneratePrivateKey();
        WgSharpCli.Ok(_receiver, "wgkey", receiverKey.ToBase64(), "wgport", _receiverPort, "debug");
        ConfigureSender(KeyGenerator.DerivePublicKey(receiverKey));

        Trigger();
        Assert.True(sender.WaitForLog("did not complete after 5 seconds, retrying", LogTimeout), sender.Log);
        // X names the peer by the start and end of its public key, as wireguard-go does.
        string receiverPublic = KeyGenerator.DerivePublicKey(receiverKey).ToBase64();
        Assert.Matches(@"Handshake for peer\S*" + System.Text.RegularExpressions.Regex.Escape(receiverPublic[..4]) +
                       @"\S* did not complete after 5 seconds, retrying", sender.Log);
        Assert.True(receiver.WaitForLog("Invalid handshake initiation", LogTimeout), receiver.Log);
        Assert.DoesNotContain("Invalid initiation MAC", receiver.Log);
    }

    /// <summary>The sender has the wrong public key for the receiver: mac1 does not verify.</summary>
    [Fact]
    public void WrongReceiverKeyGivesInvalidInitiationMac()
    {
        using var receiver = new ForegroundDaemon(_receiver);
        using var sender = new ForegroundDaemon(_sender);
        WgSharpCli.Ok(_receiver, "wgkey", KeyGenerator.GeneratePrivateKey().ToBase64(), "wgport", _receiverPort);
        ConfigureSender(KeyGenerator.DerivePublicKey(KeyGenerator.GeneratePrivateKey()));

        // Without debug the receiver stays quiet.
        Trigger();
        Assert.True(sender.WaitForLog("did not complete", LogTimeout), sender.Log);
        Assert.DoesNotContain("Invalid", receiver.Log);

        WgSharpCli.Ok(_receiver, "debug");
        Trigger();
        Assert.True(receiver.WaitForLog("Invalid initiation MAC", LogTimeout), receiver.Log);
    }

    /// <summary>The sender's interface lives in its own rdomain, so the traffic that starts the handshake stays there.</summary>
    private void ConfigureSender(Key receiverPublic)
    {
        WgSharpCli.Ok(_sender, "wgkey", KeyGenerator.GeneratePrivateKey().ToBase64(), "debug", "rdomain", $"{_senderRDomain.Number}",
            "wgpeer", receiverPublic.ToBase64(), "wgendpoint", "127.0.0.1", _receiverPort, "wgaip", $"{ReceiverTunnelAddress}/32");
        WgSharpCli.Ok(_sender, SenderTunnelAddress);
    }

    private void Trigger() =>
        WgSharpCli.Run("route", $"-T{_senderRDomain.Number}", "exec", "ping", "-c", "1", "-W", "1", ReceiverTunnelAddress);
}
