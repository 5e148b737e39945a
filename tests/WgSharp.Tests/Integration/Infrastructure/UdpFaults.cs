namespace WgSharp.Tests.Integration.Infrastructure;

/// <summary>
/// What a <see cref="UdpRelay"/> does to each datagram. Rates are probabilities in [0, 1], drawn from a
/// seeded generator so a failing run can be repeated. Reordering is done by holding a datagram back
/// for <see cref="ReorderDelay"/> so later ones overtake it.
/// </summary>
public sealed record UdpFaults
{
    public static readonly UdpFaults None = new();

    public double DropRate { get; init; }
    public double DuplicateRate { get; init; }
    public double ReorderRate { get; init; }
    public TimeSpan ReorderDelay { get; init; } = TimeSpan.FromMilliseconds(30);

    /// <summary>Fixed delay added to every datagram.</summary>
    public TimeSpan Delay { get; init; }

    /// <summary>Extra random delay in [0, Jitter) per datagram (also reorders).</summary>
    public TimeSpan Jitter { get; init; }

    public int Seed { get; init; } = 1;
}
