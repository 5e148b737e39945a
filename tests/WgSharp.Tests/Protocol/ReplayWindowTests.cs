using WgSharp.Protocol;
using WgSharp.Tests.Integration.Infrastructure;

namespace WgSharp.Tests.Protocol;

public class ReplayWindowTests
{
    // REJECT_AFTER_MESSAGES from the WireGuard paper: 2^64 - 2^13 - 1.
    private const ulong RejectAfterMessages = ulong.MaxValue - (1UL << 13);
    private const ulong NoLimit = ulong.MaxValue;

    [Fact]
    public void AcceptsInOrderCountersOnce()
    {
        var window = new ReplayWindow();
        for (ulong c = 0; c < 20_000; c++)
            Assert.True(window.TryAccept(c, NoLimit), $"counter {c}");
        for (ulong c = 20_000 - 100; c < 20_000; c++)
            Assert.False(window.TryAccept(c, NoLimit), $"replayed counter {c}");
    }

    [Fact]
    public void AcceptsOutOfOrderCountersInsideTheWindow()
    {
        var window = new ReplayWindow();
        Assert.True(window.TryAccept(1000, NoLimit));
        Assert.True(window.TryAccept(998, NoLimit));
        Assert.True(window.TryAccept(0, NoLimit));
        Assert.True(window.TryAccept(999, NoLimit));
        Assert.True(window.TryAccept(1001, NoLimit));
        Assert.True(window.TryAccept(500, NoLimit));
        Assert.False(window.TryAccept(998, NoLimit));
        Assert.False(window.TryAccept(0, NoLimit));
        Assert.False(window.TryAccept(1000, NoLimit));
        Assert.True(window.TryAccept(1, NoLimit));
    }

    [Fact]
    public void CounterZeroIsAcceptedOnlyOnce()
    {
        var window = new ReplayWindow();
        Assert.True(window.TryAccept(0, NoLimit));
        Assert.False(window.TryAccept(0, NoLimit));
    }

    [Fact]
    public void WindowIsAtLeast2048AndExactlyWindowSize()
    {
        Assert.True(ReplayWindow.WindowSize >= 2048);
        var window = new ReplayWindow();
        const ulong top = 100_000;
        Assert.True(window.TryAccept(top, NoLimit));
        Assert.True(window.TryAccept(top - 2047, NoLimit));
        Assert.True(window.TryAccept(top - (ReplayWindow.WindowSize - 1), NoLimit));
        Assert.False(window.TryAccept(top - ReplayWindow.WindowSize, NoLimit));
        Assert.False(window.TryAccept(top - ReplayWindow.WindowSize - 1, NoLimit));
        Assert.False(window.TryAccept(0, NoLimit));
    }

    [Fact]
    public void EveryCounterInsideTheWindowIsAcceptedAfterAJump()
    {
        var window = new ReplayWindow();
        const ulong top = 50_000;
        Assert.True(window.TryAccept(top, NoLimit));
        for (ulong c = top - 1; c > top - ReplayWindow.WindowSize; c--)
            Assert.True(window.TryAccept(c, NoLimit), $"counter {c}");
        for (ulong c = top - ReplayWindow.WindowSize + 1; c <= top; c++)
            Assert.False(window.TryAccept(c, NoLimit), $"replayed counter {c}");
    }

    [Fact]
    public void BigJumpForwardForgetsTheOldBitmap()
    {
        var window = new ReplayWindow();
        for (ulong c = 0; c < 9000; c++) Assert.True(window.TryAccept(c, NoLimit));
        // Land on counters whose bits share ring positions with the ones just set.
        ulong jump = 8192UL * 1000 + 5;
        Assert.True(window.TryAccept(jump, NoLimit));
        for (ulong c = jump - 1; c > jump - 3000; c--)
            Assert.True(window.TryAccept(c, NoLimit), $"counter {c} was left marked by the old window");
        Assert.False(window.TryAccept(8999, NoLimit));

        // A jump of less than the ring but more than one block clears only what it passes over.
        ulong next = jump + 700;
        Assert.True(window.TryAccept(next, NoLimit));
        Assert.False(window.TryAccept(jump, NoLimit));
        Assert.False(window.TryAccept(jump - 2000, NoLimit));
        for (ulong c = jump + 1; c < next; c++) Assert.True(window.TryAccept(c, NoLimit), $"counter {c}");
    }

    [Fact]
    public void RefusesCountersAtOrAboveTheLimit()
    {
        var window = new ReplayWindow();
        Assert.False(window.TryAccept(RejectAfterMessages, RejectAfterMessages));
        Assert.False(window.TryAccept(ulong.MaxValue, RejectAfterMessages));
        Assert.True(window.TryAccept(RejectAfterMessages - 1, RejectAfterMessages));
        Assert.False(window.TryAccept(RejectAfterMessages - 1, RejectAfterMessages));
        Assert.True(window.TryAccept(RejectAfterMessages - 2, RejectAfterMessages));
        Assert.False(window.TryAccept(10, 10));
        Assert.True(window.TryAccept(RejectAfterMessages - 3, RejectAfterMessages));
    }

    [Fact]
    public void ResetForgetsEverything()
    {
        var window = new ReplayWindow();
        Assert.True(window.TryAccept(5, NoLimit));
        Assert.True(window.TryAccept(1_000_000, NoLimit));
        window.Reset();
        Assert.True(window.TryAccept(5, NoLimit));
        Assert.True(window.TryAccept(0, NoLimit));
        Assert.True(window.TryAccept(1_000_000, NoLimit));
    }

    [Fact]
    public void TryAcceptDoesNotAllocate()
    {
        var window = new ReplayWindow();
        window.TryAccept(0, NoLimit);
        int accepted = 0;
        // The fewest over three windows, so a one-off runtime charge to the thread cannot fail it.
        long fewest = Allocations.FewestPerWindow(3, 33_333, i =>
        {
            ulong c = 1 + 3 * (ulong)i;
            if (window.TryAccept(c * 7 % 50_000, NoLimit)) accepted++;
        });
        Assert.Equal(0, fewest);
        Assert.True(accepted > 0);
    }

    [Theory]
    [InlineData(1, 200)]      // mostly small reorderings
    [InlineData(2, 3000)]     // reorderings across the 2048 boundary
    [InlineData(3, 12000)]    // reorderings beyond the window
    public void MatchesAHashSetModel(int seed, int spread)
    {
        var rng = new Random(seed);
        var window = new ReplayWindow();
        var seen = new HashSet<ulong>();
        ulong highest = 0;
        bool any = false;
        ulong next = 0;
        int accepted = 0, refused = 0;
        for (int i = 0; i < 200_000; i++)
        {
            ulong counter;
            int kind = rng.Next(20);
            if (kind == 0) counter = next + (ulong)rng.Next(1, 20_000);            // jump ahead (loss)
            else if (kind < 4 && seen.Count > 0) counter = highest - (ulong)Math.Min((long)highest, rng.Next(0, 64)); // replay recent
            else counter = (ulong)Math.Max(0, (long)next - rng.Next(spread)) + (ulong)rng.Next(2);
            next = Math.Max(next, counter + 1);

            bool expected = !seen.Contains(counter) && (!any || counter > highest || highest - counter < ReplayWindow.WindowSize);
            bool actual = window.TryAccept(counter, NoLimit);
            Assert.True(expected == actual, $"step {i}: counter {counter}, highest {highest}: expected {expected}");
            if (actual)
            {
                seen.Add(counter);
                if (!any || counter > highest) highest = counter;
                any = true;
                accepted++;
            }
            else refused++;
        }
        Assert.True(accepted > 10_000 && refused > 1_000, $"accepted {accepted}, refused {refused}");
    }
}
