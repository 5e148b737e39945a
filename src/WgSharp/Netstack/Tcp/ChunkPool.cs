namespace WgSharp.Netstack.Tcp;

/// <summary>
/// A small bounded free list of fixed-size byte chunks shared by every TCP buffer of the process: buffers take chunks
/// only while they hold bytes, so an idle connection holds none, and a busy stack reuses chunks instead of allocating.
/// </summary>
internal static class ChunkPool
{
    public const int ChunkSize = 16 * 1024;

    // Bounded: at most this many idle chunks (16 MiB) stay cached; the rest go back to the GC.
    private const int MaxFree = 1024;
    private static readonly byte[]?[] Free = new byte[MaxFree][];
    private static int _count;
    private static readonly Lock Gate = new();

    public static byte[] Rent()
    {
        lock (Gate)
        {
            if (_count > 0)
            {
                var chunk = Free[--_count]!;
                Free[_count] = null;
                return chunk;
            }
        }
        return new byte[ChunkSize];
    }

    public static void Return(byte[] chunk)
    {
        lock (Gate)
        {
            if (_count < MaxFree) Free[_count++] = chunk;
        }
    }
}
