namespace WgSharp.Netstack.Tcp;

/// <summary>Modulo-2^32 comparisons of TCP sequence numbers (RFC 9293 3.4): a is "before" b when b - a, as signed, is positive.</summary>
internal static class Seq
{
    public static bool Lt(uint a, uint b) => (int)(a - b) < 0;
    public static bool Le(uint a, uint b) => (int)(a - b) <= 0;
    public static bool Gt(uint a, uint b) => (int)(a - b) > 0;
    public static bool Ge(uint a, uint b) => (int)(a - b) >= 0;
    public static uint Max(uint a, uint b) => Gt(a, b) ? a : b;
    public static uint Min(uint a, uint b) => Lt(a, b) ? a : b;

    /// <summary>start &lt;= x &lt; end.</summary>
    public static bool InRange(uint x, uint start, uint end) => Ge(x, start) && Lt(x, end);
}
