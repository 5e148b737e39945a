namespace WgSharp.Control.Uapi;

/// <summary>
/// The other side of a UAPI socket answered with an error or with something that is not the
/// protocol. <see cref="Errno"/> is positive: the errno it reported, or EPROTO for a malformed reply.
/// </summary>
internal sealed class UapiProtocolException : IOException
{
    public UapiProtocolException(int errno, string message) : base(message) => Errno = errno;

    public int Errno { get; }
}
