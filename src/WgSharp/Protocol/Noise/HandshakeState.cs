namespace WgSharp.Protocol.Noise;

/// <summary>Where a peer's handshake stands (the Noise message pattern position).</summary>
internal enum HandshakeState
{
    Zeroed,
    InitiationCreated,
    InitiationConsumed,
    ResponseCreated,
    ResponseConsumed,
}
