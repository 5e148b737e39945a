using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using System.Text;
using WgSharp.Linux;
using WgSharp.Tests.Integration.Infrastructure;
using Xunit.Abstractions;
using static WgSharp.Tests.Userspace.ProxyEndToEndTests;

namespace WgSharp.Tests.Userspace;

/// <summary>
/// SOCKS5 UDP ASSOCIATE (RFC 1928 §7) as a user runs it: `wgsharp proxy` as user nobody, a Debian wireguard-go peer
/// in a namespace with a DNS responder and a kernel UDP echo behind it, and a client of ours on the host side.
/// </summary>
[Trait(TestTiers.Name, TestTiers.Root)]
[Collection(NetnsCollection.Name)]
public class ProxyUdpEndToEndTests(ITestOutputHelper output)
{
    private const int EchoBytes = 10 * 1024 * 1024;
    private const int DatagramPayload = 1200; // under the tunnel MTU's 1392 bytes of UDP payload: no fragment anywhere

    [Fact]
    public void Socks5UdpAssociateCarriesADnsQueryAndATenMegabyteEcho()
    {
        using var peer = new TunnelPeerNamespace();
        string name = $"echo-{Guid.NewGuid():N}"[..20] + ".wgsharp-e2e.test";
        using var dns = NamespaceServerProcess.DnsResponder(peer.Namespace, new Dictionary<string, string> { [name] = TunnelPeerNamespace.PeerAddress });
        using var echo = new KernelUdpEcho(peer.Namespace);
        string conf = WriteConf(peer, $"DNS = {TunnelPeerNamespace.PeerAddress}");
        using var proxy = UnprivilegedProgram.Start(UnprivilegedProgram.CliDll, ["proxy", conf, "--socks5", "0"]);
        Assert.True(proxy.WaitForErrorText("ready", Ready), proxy.StandardError);
        var socks = ReadyEndPoint(proxy, "socks5");

        using var control = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { ReceiveTimeout = 30_000 };
        control.Connect(socks);
        control.Send([5, 1, 0]);
        Assert.Equal(new byte[] { 5, 0 }, ReceiveExactly(control, 2));
        using var udp = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        udp.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        int port = ((IPEndPoint)udp.LocalEndPoint!).Port;
        // UDP ASSOCIATE naming the port the client will send from (§7: the proxy then takes datagrams from there only).
        control.Send([5, 3, 0, 1, 127, 0, 0, 1, (byte)(port >> 8), (byte)port]);
        var reply = ReceiveExactly(control, 10);
        Assert.Equal(0, reply[1]);
        var relay = new IPEndPoint(new IPAddress(reply.AsSpan(4, 4)), BinaryPrimitives.ReadUInt16BigEndian(reply.AsSpan(8)));

        // A DNS query to the responder behind the tunnel, its answer back through the relay. The first datagram may race
        // the WireGuard handshake: sent again until one answer comes.
        var dnsServer = new IPEndPoint(TunnelPeerNamespace.PeerIp, 53);
        byte[]? answer = null;
        udp.ReceiveTimeout = 2000;
        for (int attempt = 0; attempt < 15 && answer is null; attempt++)
        {
            udp.SendTo(Socks5Datagram(dnsServer, DnsQuery(0x5157, name)), relay);
            try
            {
                var buffer = new byte[2048];
                int length = udp.Receive(buffer);
                answer = buffer[..length];
            }
            catch (SocketException) { }
        }
        Assert.True(answer is not null, proxy.StandardError + dns.Output);
        // The header names the DNS server as the source; the answer is the name's A record.
        Assert.Equal(Socks5Header(dnsServer), answer[..10]);
        var message = answer.AsSpan(10);
        Assert.Equal(0x5157, BinaryPrimitives.ReadUInt16BigEndian(message));
        Assert.Equal(0, message[3] & 0x0f); // NOERROR
        Assert.Equal(1, BinaryPrimitives.ReadUInt16BigEndian(message[6..])); // one answer
        Assert.Equal(TunnelPeerNamespace.PeerIp.GetAddressBytes(), message[^4..].ToArray());
        Assert.Contains($"query {name} 1", dns.Output);

        // 10 MB echoed, the echo addressed by name (resolved through the tunnel's DNS by the proxy).
        var target = Socks5Address(name, echo.Port);
        var echoSource = Socks5Header(new IPEndPoint(TunnelPeerNamespace.PeerIp, echo.Port));
        var exchange = new ProxyUdpEchoExchange(udp, relay,
            payload => [0, 0, 0, .. target, .. payload],
            (buffer, length) => length >= echoSource.Length && buffer.AsSpan(0, echoSource.Length).SequenceEqual(echoSource)
                ? new ArraySegment<byte>(buffer, echoSource.Length, length - echoSource.Length)
                : (ArraySegment<byte>?)null);
        int count = (EchoBytes + DatagramPayload - 1) / DatagramPayload;
        var result = exchange.Run(count, DatagramPayload, TimeSpan.FromMinutes(5));
        output.WriteLine($"SOCKS5 UDP echo of {count} x {DatagramPayload} bytes: {result}");
        Assert.True(result.Answered == count && result.Mismatched == 0 && result.HashesEqual, $"{result}\n{proxy.StandardError}");

        // The association ends with its control connection.
        control.Dispose();
        CommandRunner.Run("kill", "-TERM", Invariant(proxy.Id)).EnsureSuccess();
        Assert.Equal(0, proxy.WaitForExit(TimeSpan.FromSeconds(20)).ExitCode);
    }

    /// <summary>A SOCKS5 UDP request header (§7: RSV RSV FRAG, then the address) for an IPv4 endpoint.</summary>
    internal static byte[] Socks5Header(IPEndPoint endPoint) =>
        [0, 0, 0, 1, .. endPoint.Address.GetAddressBytes(), (byte)(endPoint.Port >> 8), (byte)endPoint.Port];

    internal static byte[] Socks5Datagram(IPEndPoint to, byte[] payload) => [.. Socks5Header(to), .. payload];

    /// <summary>ATYP 3 (a name), the name, the port.</summary>
    private static byte[] Socks5Address(string host, int port) =>
        [3, (byte)host.Length, .. Encoding.ASCII.GetBytes(host), (byte)(port >> 8), (byte)port];

    /// <summary>A DNS query (RFC 1035 §4.1) for the A record of <paramref name="name"/>, recursion desired.</summary>
    private static byte[] DnsQuery(ushort id, string name)
    {
        var query = new List<byte> { (byte)(id >> 8), (byte)id, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0 };
        foreach (var label in name.Split('.'))
        {
            query.Add((byte)label.Length);
            query.AddRange(Encoding.ASCII.GetBytes(label));
        }
        query.AddRange([0, 0, 1, 0, 1]);
        return [.. query];
    }

    private static byte[] ReceiveExactly(Socket socket, int count)
    {
        var buffer = new byte[count];
        for (int total = 0; total < count;)
        {
            int n = socket.Receive(buffer.AsSpan(total));
            if (n == 0) throw new Xunit.Sdk.XunitException($"connection closed after {total} of {count} bytes");
            total += n;
        }
        return buffer;
    }
}
