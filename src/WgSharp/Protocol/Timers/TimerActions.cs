namespace WgSharp.Protocol.Timers;

/// <summary>What the caller must do because timers expired (several may be set at once).</summary>
[Flags]
internal enum TimerActions
{
    None = 0,
    /// <summary>The handshake did not complete in REKEY_TIMEOUT: log the manual's message and send a new initiation (a retry).</summary>
    RetryHandshake = 1,
    /// <summary>REKEY_ATTEMPT_TIME passed without success: drop the queued packets.</summary>
    GiveUpHandshake = 2,
    /// <summary>We received data and had nothing to send back: send an empty keepalive.</summary>
    SendKeepalive = 4,
    /// <summary>We sent data and heard nothing for KEEPALIVE + REKEY_TIMEOUT: start a new handshake.</summary>
    NewHandshake = 8,
    /// <summary>No new session for 3 x REJECT_AFTER_TIME: zero every key.</summary>
    ZeroKeyMaterial = 16,
    /// <summary>The persistent keepalive interval elapsed.</summary>
    SendPersistentKeepalive = 32,
}
