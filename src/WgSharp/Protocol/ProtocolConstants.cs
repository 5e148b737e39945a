namespace WgSharp.Protocol;

/// <summary>The constants of the WireGuard whitepaper, section 6.</summary>
internal static class ProtocolConstants
{
    public const ulong RekeyAfterMessages = 1UL << 60;
    public const ulong RejectAfterMessages = ulong.MaxValue - (1UL << 13); // 2^64 - 2^13 - 1
    public static readonly TimeSpan RekeyAfterTime = TimeSpan.FromSeconds(120);
    public static readonly TimeSpan RejectAfterTime = TimeSpan.FromSeconds(180);
    public static readonly TimeSpan RekeyAttemptTime = TimeSpan.FromSeconds(90);
    public static readonly TimeSpan RekeyTimeout = TimeSpan.FromSeconds(5);
    public static readonly TimeSpan RekeyTimeoutJitterMax = TimeSpan.FromMilliseconds(334);
    public static readonly TimeSpan KeepaliveTimeout = TimeSpan.FromSeconds(10);
    public static readonly TimeSpan CookieRefreshTime = TimeSpan.FromSeconds(120);
    /// <summary>Minimum spacing between initiations accepted from one peer (flood guard, 50/s).</summary>
    public static readonly TimeSpan HandshakeInitiationRate = TimeSpan.FromMilliseconds(20);

    /// <summary>Retries before giving up: REKEY_ATTEMPT_TIME / REKEY_TIMEOUT.</summary>
    public const int MaxHandshakeAttempts = 90 / 5;

    public const int MessagePaddingMultiple = 16;
    public const int DefaultMtu = 1420;
    public const ushort DefaultPort = 51820;
}
