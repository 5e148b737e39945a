using System.Net;
using System.Net.Sockets;

namespace WgSharp.Tests.Netstack.Api;

public class TunnelEndpointsTests
{
    [Theory]
    [InlineData("0.0.0.0")]
    [InlineData("::")]
    [InlineData("224.0.0.1")]
    [InlineData("239.255.255.250")]
    [InlineData("255.255.255.255")]
    [InlineData("ff02::1")]
    [InlineData("::ffff:0.0.0.0")]
    public void NoConnectionToUnspecifiedMulticastOrBroadcast(string address)
    {
        var error = Assert.Throws<SocketException>(() => TunnelEndpoints.ToRemote(new IPEndPoint(IPAddress.Parse(address), 80)));
        Assert.Equal(SocketError.AddressNotAvailable, error.SocketErrorCode);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-1)]
    [InlineData(65536)]
    public void RemotePortsAreOneTo65535(int port)
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => TunnelEndpoints.ValidatePort(port, allowZero: false, "port"));
        if (port == 0) TunnelEndpoints.ValidatePort(port, allowZero: true, "port");
        else Assert.Throws<ArgumentOutOfRangeException>(() => TunnelEndpoints.ValidatePort(port, allowZero: true, "port"));
        // IPEndPoint itself refuses -1 and 65536: port 0 is the one a caller can actually pass.
        if (port == 0) Assert.Throws<ArgumentOutOfRangeException>(() => TunnelEndpoints.ToRemote(new IPEndPoint(IPAddress.Loopback, port)));
    }

    [Fact]
    public void AMappedIPv6AddressBecomesIPv4()
    {
        var remote = TunnelEndpoints.ToRemote(new IPEndPoint(IPAddress.Parse("::ffff:10.0.0.9"), 443));
        Assert.True(remote.IsIPv4);
        Assert.Equal(new IPEndPoint(IPAddress.Parse("10.0.0.9"), 443), remote.ToIPEndPoint());
    }

    [Theory]
    [InlineData("10.0.0.1", true)]
    [InlineData("2001:db8::1", true)]
    [InlineData("223.255.255.255", true)]
    [InlineData("240.0.0.1", true)]
    [InlineData("224.0.0.0", false)]
    [InlineData("0.0.0.0", false)]
    [InlineData("ff00::", false)]
    [InlineData("fe80::1", true)]
    public void UnicastIsEverythingButUnspecifiedMulticastAndBroadcast(string address, bool unicast) =>
        Assert.Equal(unicast, TunnelEndpoints.IsUnicast(IPAddress.Parse(address).GetAddressBytes()));

    [Fact]
    public void LocalEndpointsMayBeUnspecifiedAndPortZeroWhenAllowed()
    {
        var any = TunnelEndpoints.ToLocal(new IPEndPoint(IPAddress.IPv6Any, 0), allowZeroPort: true);
        Assert.Equal(AddressFamily.InterNetworkV6, any.AddressFamily); // ([::]:0 is also what UdpEndpoint calls empty)
        Assert.True(TunnelEndpoints.IsUnspecified(any.AddressSpan));
        Assert.Throws<ArgumentOutOfRangeException>(() => TunnelEndpoints.ToLocal(new IPEndPoint(IPAddress.Any, 0), allowZeroPort: false));
        Assert.Equal((ushort)8080, TunnelEndpoints.Any(AddressFamily.InterNetwork, 8080).Port);
        Assert.True(TunnelEndpoints.Any(AddressFamily.InterNetwork, 1).IsIPv4);
    }
}
