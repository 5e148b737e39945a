using WgSharp.Keys;

namespace WgSharp.Tests.Keys;

/// <summary>
/// A <see cref="SecretKeyCell"/> read after (or during) its clear must not hand out what its slot holds by then:
/// zeroes, or the key of whoever rented the slot next. Such a read throws <see cref="ObjectDisposedException"/>.
/// </summary>
public class SecretKeyCellTests
{
    [Fact]
    public void ReadingAClearedCellThrowsRatherThanReturningZeroes()
    {
        SecretKeyCell? cell = null;
        SecretKeyCell.Replace(ref cell, KeyGenerator.GeneratePresharedKey());
        var kept = cell!;
        kept.Clear();
        Assert.Throws<ObjectDisposedException>(() => kept.Value);
        kept.Clear(); // a second clear does nothing
    }

    [Fact]
    public void AReadWhoseSlotWasGivenBackMidwayThrowsAndDoesNotFreeTheSlotsNextOwner()
    {
        var first = KeyGenerator.GeneratePresharedKey();
        var second = KeyGenerator.GeneratePresharedKey();
        SecretKeyCell? stale = null, next = null;
        SecretKeyCell.Replace(ref stale, first);
        // What a clear racing a read does between the read's check and its copy: the slot goes back and is rented again.
        SecretArena.Keys.Return(stale!.SlotForTests);
        SecretKeyCell.Replace(ref next, second);

        Assert.Throws<ObjectDisposedException>(() => stale.Value);
        stale.Clear(); // its rental is over: this must not zero or free the slot's next owner
        Assert.Equal(second, next!.Value);
        Assert.False(next.IsCleared);
        SecretKeyCell.Replace(ref next, null);
    }

    [Fact]
    public void AnArenaSlotRentedAgainIsNotTheOldHoldersAndAStaleReturnIsIgnored()
    {
        var arena = new SecretArena(maxSlots: 4);
        var old = arena.Rent();
        Assert.True(arena.IsCurrent(old));
        arena.Return(old);
        var reused = arena.Rent();
        Assert.Equal(old.Index, reused.Index); // the same memory, a new rental
        Assert.False(arena.IsCurrent(old));
        Assert.True(arena.IsCurrent(reused));

        reused.Span.Fill(7);
        arena.Return(old); // a second return of the old rental
        Assert.Equal(1, arena.InUse);
        Assert.True(reused.Span.IndexOfAnyExcept((byte)7) < 0);
        Assert.NotEqual(reused.Index, arena.Rent().Index); // the index was not put back on the free list
    }

    [Fact]
    public void ReadsRacingAClearAndTheSlotsReuseSeeTheCellsOwnKeyOrThrow()
    {
        var own = KeyGenerator.GeneratePresharedKey();
        SecretKeyCell? cell = null;
        SecretKeyCell.Replace(ref cell, own);
        var shared = cell!;
        int reads = 0, wrong = 0;
        using var started = new ManualResetEventSlim();
        var reader = new Thread(() =>
        {
            while (true) // ends at the first throw: every read after the clear throws
            {
                try
                {
                    if (!shared.Value.Equals(own)) Interlocked.Increment(ref wrong);
                }
                catch (ObjectDisposedException) { return; }
                if (Interlocked.Increment(ref reads) == 100) started.Set();
            }
        });
        reader.Start();
        started.Wait();
        shared.Clear();
        var others = new List<SecretKeyCell?>();
        for (int i = 0; i < 64; i++) // rent the slot again and again, with other keys, while the reader may still be copying
        {
            SecretKeyCell? other = null;
            SecretKeyCell.Replace(ref other, KeyGenerator.GeneratePresharedKey());
            others.Add(other);
        }
        reader.Join();
        foreach (var other in others) other!.Clear();
        Assert.Equal(0, wrong);
    }
}
