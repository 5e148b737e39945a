using WgSharp.Device.IO;

namespace WgSharp.Device;

/// <summary>
/// The datagram transport in service. Readers take <see cref="Current"/> for each use; the configurator replaces
/// it as a whole when the port or routing table changes (the old one's receivers then move over to the new).
/// </summary>
internal sealed class TransportSlot(IDatagramTransport initial)
{
    private volatile IDatagramTransport _current = initial;

    public IDatagramTransport Current => _current;

    /// <summary>Puts <paramref name="fresh"/> in service and returns the one it replaced (still open: the caller closes it).</summary>
    public IDatagramTransport Swap(IDatagramTransport fresh)
    {
        var old = _current;
        _current = fresh;
        return old;
    }
}
