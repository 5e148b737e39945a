// The protocol types are generic over the peer's owner (the device's Peer); protocol tests have no device,
// so their peers are owned by a plain object.
global using ProtocolEngine = WgSharp.Protocol.ProtocolEngine<object>;
global using ProtocolPeer = WgSharp.Protocol.ProtocolPeer<object>;
global using HandshakeResult = WgSharp.Protocol.HandshakeResult<object>;
global using TransportResult = WgSharp.Protocol.TransportResult<object>;

namespace WgSharp.Tests;

/// <summary>Protocol tests add peers without an owner of their own: each gets a plain object.</summary>
internal static class ProtocolEngineExtensions
{
    public static WgSharp.Protocol.ProtocolPeer<object>? AddPeer(this WgSharp.Protocol.ProtocolEngine<object> engine, in WgSharp.Keys.Key publicKey) =>
        engine.AddPeer(publicKey, _ => new object());
}
