namespace WgSharp.Tests.Routing;

/// <summary>
/// Value equality that counts its <see cref="Equals(T, T)"/> calls, so a test can show that loading n keys does
/// O(n) work by counting it instead of timing it. Given to the code under test (the library counts nothing itself).
/// </summary>
internal sealed class CountingComparer<T> : IEqualityComparer<T>
{
    private long _count;

    public long Count => _count;

    public void Reset() => _count = 0;

    public bool Equals(T? x, T? y)
    {
        _count++;
        return EqualityComparer<T>.Default.Equals(x, y);
    }

    public int GetHashCode(T obj) => EqualityComparer<T>.Default.GetHashCode(obj!);
}
