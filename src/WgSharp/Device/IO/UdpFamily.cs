namespace WgSharp.Device.IO;

/// <summary>Which of the transport's two sockets: one per IP version, both on the same port.</summary>
internal enum UdpFamily
{
    IPv4,
    IPv6,
}
