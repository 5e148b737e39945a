namespace WgSharp.UserspaceProbe;

/// <summary>
/// The deterministic bytes uploads send (the tests' servers send the same): byte i is i mod 251, a period that no
/// segment size divides, so a reordered or repeated segment changes the hash. Written from one preallocated block.
/// </summary>
internal static class Pattern
{
    /// <summary>A whole number of periods, so consecutive blocks continue the pattern.</summary>
    public static readonly byte[] Block = Make(251 * 256);

    private static byte[] Make(int length)
    {
        var block = new byte[length];
        for (int i = 0; i < length; i++)
            block[i] = (byte)(i % 251);
        return block;
    }
}
