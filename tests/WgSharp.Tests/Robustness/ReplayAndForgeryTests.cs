using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using System.Text;
using WgSharp.Protocol;
using WgSharp.Device;
using WgSharp.Tests.Device;
using WgSharp.Tests.Integration.Infrastructure;
using Xunit.Abstractions;
using static WgSharp.Tests.Device.TwoNamespaces;

namespace WgSharp.Tests.Robustness;

/// <summary>
/// Bullet 3: real messages captured on the path from A to B are replayed, retargeted and tampered with
/// from an attacker address. B must drop and count them, deliver no inner packet twice, send the attacker
/// nothing, and keep A's endpoint where it was.
/// </summary>
[Collection(NetnsCollection.Name)]
[Trait(TestTiers.Name, TestTiers.Root)]
public class ReplayAndForgeryTests(ITestOutputHelper output)
{
    private const string AttackerAddress = "192.0.2.66";
    private const int Messages = 40;

    [Fact]
    public void ReplayedAndForgedPacketsAreDroppedCountedAndNeverDeliveredTwice()
    {
        using var net = new TwoNamespaces();
        using var a = WgSharpPeer.Start(net.A);
        using var b = WgSharpPeer.Start(net.B);
        using var forwarder = new CapturingForwarder(net.A, new IPEndPoint(IPAddress.Parse(OuterA4), 0), new IPEndPoint(IPAddress.Parse(OuterB4), b.ListenPort));
        a.SetPeer(b.PublicKey, $"{InnerB4}/32", forwarder.ListenEndPoint.ToString());
        b.SetPeer(a.PublicKey, $"{InnerA4}/32"); // B learns A's endpoint from the handshake
        a.AddAddressAndUp($"{InnerA4}/24");
        b.AddAddressAndUp($"{InnerB4}/24");
        net.A.Ip("addr", "add", AttackerAddress + "/24", "dev", net.Link.InterfaceA);

        // A sends numbered datagrams through the tunnel to a socket in B.
        using var receiver = net.B.Run(() =>
        {
            var s = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp) { ReceiveTimeout = 1000 };
            s.Bind(new IPEndPoint(IPAddress.Parse(InnerB4), 0));
            return s;
        });
        using var sender = net.A.Run(() => new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp));
        Assert.True(NetworkChecks.WaitForPing(net.A, InnerB4, TimeSpan.FromSeconds(15)), a.Log.Text);
        for (int i = 0; i < Messages; i++)
        {
            sender.SendTo(Encoding.ASCII.GetBytes($"message {i}"), receiver.LocalEndPoint!);
            Thread.Sleep(2);
        }
        var delivered = ReceiveAll(receiver);
        Assert.Equal(Enumerable.Range(0, Messages).Select(i => $"message {i}").ToHashSet(), delivered.ToHashSet());
        Assert.Equal(Messages, delivered.Count);

        var endpointBefore = b.PeerFor(a.PublicKey).Endpoint;
        Assert.Equal(forwarder.BackEndPoint.ToString(), endpointBefore.ToString());
        var captured = forwarder.Captured;
        var transport = captured.Where(m => m[0] == (byte)MessageType.TransportData).ToList();
        var initiations = captured.Where(m => m[0] == (byte)MessageType.HandshakeInitiation).ToList();
        Assert.True(transport.Count >= Messages && initiations.Count >= 1);

        using var attacker = net.A.Run(() =>
        {
            var s = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp) { ReceiveTimeout = 500 };
            s.Bind(new IPEndPoint(IPAddress.Parse(AttackerAddress), 0));
            return s;
        });
        var target = new IPEndPoint(IPAddress.Parse(OuterB4), b.ListenPort);
        var counters = b.Device.Counters;
        long replayed0 = counters[Counter.Replayed], rejected0 = counters[Counter.HandshakeRejected], unknown0 = counters[Counter.UnknownIndex], failed0 = counters[Counter.DecryptFailed];
        var rx0 = b.PeerFor(a.PublicKey).RxBytes;

        // 1. Replays of every transport packet (twice) and of the initiation.
        foreach (var message in transport.Concat(transport)) attacker.SendTo(message, target);
        foreach (var message in initiations) attacker.SendTo(message, target);
        // 2. Forgeries: another receiver index; a flipped bit in the ciphertext, the tag and the counter.
        var sample = transport[^1];
        var forged = new List<byte[]>();
        for (int i = 0; i < 10; i++)
        {
            var wrongIndex = (byte[])sample.Clone();
            BinaryPrimitives.WriteUInt32LittleEndian(wrongIndex.AsSpan(4), BinaryPrimitives.ReadUInt32LittleEndian(sample.AsSpan(4)) ^ (uint)(i + 1) << 8);
            forged.Add(wrongIndex);
        }
        var flips = new[] { 20, sample.Length - 1, 8 + 7 }; // payload, tag, counter's top byte
        var flipped = flips.Select(offset => { var m = (byte[])sample.Clone(); m[offset] ^= 0x01; return m; }).ToList();
        foreach (var message in forged.Concat(flipped)) attacker.SendTo(message, target);

        // Nothing new reaches the inner socket, and nothing at all comes back to the attacker.
        Assert.Empty(ReceiveAll(receiver));
        Assert.Throws<SocketException>(() => attacker.Receive(new byte[2048]));
        WaitFor(() => b.Device.Counters[Counter.Replayed] - replayed0 >= 2 * transport.Count && b.Device.Counters[Counter.HandshakeRejected] > rejected0);

        output.WriteLine($"captured {transport.Count} transport + {initiations.Count} initiation(s); B: {b.Device.Counters}");
        Assert.Equal(2 * transport.Count, b.Device.Counters[Counter.Replayed] - replayed0);
        Assert.Equal(initiations.Count, b.Device.Counters[Counter.HandshakeRejected] - rejected0);
        Assert.Equal(forged.Count, b.Device.Counters[Counter.UnknownIndex] - unknown0);
        Assert.Equal(flipped.Count, b.Device.Counters[Counter.DecryptFailed] - failed0);
        Assert.Contains("Invalid handshake initiation (replayed timestamp)", b.Log.Text);
        // The endpoint did not move to the attacker, and the session still works from the real path.
        Assert.Equal(endpointBefore, b.PeerFor(a.PublicKey).Endpoint);
        Assert.Equal(rx0, b.PeerFor(a.PublicKey).RxBytes);
        Assert.True(NetworkChecks.Ping(net.B, InnerA4, count: 2));
        Assert.Equal(endpointBefore, b.PeerFor(a.PublicKey).Endpoint);
    }

    private static List<string> ReceiveAll(Socket socket)
    {
        var received = new List<string>();
        var buffer = new byte[2048];
        while (true)
        {
            try { received.Add(Encoding.ASCII.GetString(buffer, 0, socket.Receive(buffer))); }
            catch (SocketException) { return received; }
        }
    }

    private static void WaitFor(Func<bool> condition)
    {
        for (var clock = System.Diagnostics.Stopwatch.StartNew(); clock.Elapsed < TimeSpan.FromSeconds(5) && !condition();)
            Thread.Sleep(20);
    }
}
