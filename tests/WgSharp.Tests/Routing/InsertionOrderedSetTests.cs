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

    [Fact]
    public void BehavesAsAnOrderedListWithoutDuplicatesWhileGrowingPastItsSmallArrayAndShrinkingBack()
    {
        // Few items live in an array, many in a dictionary and a linked list: the same answers either way.
        var random = new Random(13);
        var set = new InsertionOrderedSet<int>();
        var model = new List<int>();
        for (int step = 0; step < 5_000; step++)
        {
            int item = random.Next(24);
            if (random.Next(3) == 0)
            {
                Assert.Equal(model.Remove(item), set.Remove(item));
            }
            else
            {
                bool added = !model.Contains(item);
                if (added) model.Add(item);
                Assert.Equal(added, set.Add(item));
            }
            Assert.Equal(model.Count, set.Count);
            Assert.Equal(model.Contains(item), set.Contains(item));
            Assert.Equal(model, set);
            if (step % 1_000 == 999)
            {
                set.Clear();
                model.Clear();
            }
        }
    }
}
