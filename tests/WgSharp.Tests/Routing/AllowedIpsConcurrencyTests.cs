using System.Net;
using WgSharp.Configuration;
using WgSharp.Routing;

namespace WgSharp.Tests.Routing;

public class AllowedIpsConcurrencyTests
{
    private sealed class Peer(string name)
    {
        public override string ToString() => name;
    }

    /// <summary>
    /// Readers look up addresses whose answer never changes while a writer churns prefixes around
    /// them (splitting and collapsing the very nodes on their paths). Any torn read would show up as
    /// a wrong answer or an exception.
    /// </summary>
    [Fact]
    public async Task LookupsDuringMutationStayConsistent()
    {
        var table = new AllowedIps<Peer>();
        Peer stable8 = new("10/8"), stable32 = new("10.2.3.4"), stable6 = new("fd00::/16"), churn = new("churn");
        table.Insert(new IpPrefix(IPAddress.Parse("10.0.0.0"), 8), stable8);
        table.Insert(new IpPrefix(IPAddress.Parse("10.2.3.4"), 32), stable32);
        table.Insert(new IpPrefix(IPAddress.Parse("fd00::"), 16), stable6);

        using var stop = new CancellationTokenSource();
        long lookups = 0;
        var failures = new System.Collections.Concurrent.ConcurrentQueue<string>();

        void Reader()
        {
            byte[] host = [10, 2, 3, 4];
            byte[] other = [10, 77, 0, 1]; // the writer never covers 10.77.0.0/16
            byte[] outside = [11, 0, 0, 1];
            byte[] v6 = IPAddress.Parse("fd00:ffff::1").GetAddressBytes(); // the writer avoids fd00:ffff::/32
            try
            {
                while (!stop.IsCancellationRequested)
                {
                    for (int i = 0; i < 1000; i++)
                    {
                        if (table.Lookup(host) != stable32) failures.Enqueue("10.2.3.4");
                        if (table.Lookup(other) != stable8) failures.Enqueue("10.77.0.1");
                        if (table.Lookup(outside) is not null) failures.Enqueue("11.0.0.1");
                        if (table.Lookup(v6) != stable6) failures.Enqueue("fd00:ffff::1");
                        var any = table.LookupIPv4(0x0A000000u | (((uint)i * 40503u) & 0x00FFFFFFu));
                        if (any is null) failures.Enqueue("10/8 uncovered");
                    }
                    Interlocked.Add(ref lookups, 1000);
                }
            }
            catch (Exception e)
            {
                failures.Enqueue(e.ToString());
            }
        }

        var readers = Enumerable.Range(0, 2).Select(_ => Task.Factory.StartNew(Reader, TaskCreationOptions.LongRunning)).ToArray();

        var rng = new Random(11);
        var live = new List<IpPrefix>();
        var deadline = DateTime.UtcNow.AddSeconds(2);
        int mutations = 0;
        while (DateTime.UtcNow < deadline || mutations < 20_000)
        {
            if (live.Count > 0 && rng.Next(2) == 0)
            {
                int index = rng.Next(live.Count);
                Assert.True(table.Remove(live[index], churn));
                live[index] = live[^1];
                live.RemoveAt(live.Count - 1);
            }
            else
            {
                IpPrefix prefix;
                if (rng.Next(2) == 0)
                {
                    // Inside 10/8, on the paths of the readers' addresses but never containing them.
                    int bits = rng.Next(9, 33);
                    uint address = 0x0A000000u | ((uint)rng.Next() & 0x00FFFFFFu);
                    uint mask = ~0u << (32 - bits);
                    if ((address & mask) == (0x0A020304u & mask) || (address & mask) == (0x0A4D0001u & mask)) continue;
                    if (bits <= 16 && (0x0A4D0000u & mask) == (address & mask)) continue;
                    prefix = new IpPrefix(new IPAddress([(byte)(address >> 24), (byte)(address >> 16), (byte)(address >> 8), (byte)address]), bits);
                }
                else
                {
                    var bytes = new byte[16];
                    rng.NextBytes(bytes);
                    bytes[0] = 0xfd; bytes[1] = 0x00;
                    if (bytes[2] == 0xff && bytes[3] == 0xff) continue;
                    prefix = new IpPrefix(new IPAddress(bytes), rng.Next(32, 129)).Masked();
                }
                if (table.OwnerOf(prefix) is not null) continue;
                table.Insert(prefix, churn);
                live.Add(prefix);
            }
            mutations++;
        }
        stop.Cancel();
        await Task.WhenAll(readers);

        Assert.Empty(failures);
        Assert.True(Interlocked.Read(ref lookups) > 0);
        Assert.Equal(3 + live.Count, table.Count);
    }
}
