using WgSharp.Collections;

namespace WgSharp.Tests.Routing;

public class InsertionOrderedSetTests
{
    [Fact]
    public void EnumeratesInFirstAddedOrderAndKeepsEachItemOnce()
    {
        var set = new InsertionOrderedSet<int>();
        Assert.True(set.Add(3));
        Assert.True(set.Add(1));
        Assert.False(set.Add(3));
        set.AddRange([2, 1, 4]);
        Assert.True(set.Remove(1));
        Assert.False(set.Remove(1));
        Assert.True(set.Add(1));
        Assert.Equal([3, 2, 4, 1], set);
        Assert.Equal(4, set.Count);
        Assert.Contains(4, set);
        set.Clear();
        Assert.Empty(set);
    }
}
