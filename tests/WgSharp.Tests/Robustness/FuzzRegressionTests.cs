using WgSharp.Tests.Integration.Infrastructure;
using Xunit.Abstractions;

namespace WgSharp.Tests.Robustness;

/// <summary>
/// Bullet 5, the CI half: every seed in fuzz/corpus/TARGET and every crash the fuzzer ever saved in
/// fuzz/crashes/TARGET is replayed through the same <see cref="FuzzTargets"/> the fuzzer drives, plus a few
/// thousand seeded random mutations of the seeds, so a regression shows up without AFL installed.
/// </summary>
public class FuzzRegressionTests(ITestOutputHelper output)
{
    private static string FuzzDirectory => Path.Combine(RepositoryRoot.Path, "fuzz");

    public static TheoryData<string> Targets => new(FuzzTargets.Names);

    private static List<(string Name, byte[] Bytes)> Inputs(string kind, string target)
    {
        var directory = Path.Combine(FuzzDirectory, kind, target);
        return Directory.Exists(directory)
            ? Directory.GetFiles(directory).Order(StringComparer.Ordinal).Select(f => (Path.GetFileName(f), File.ReadAllBytes(f))).ToList()
            : [];
    }

    [Theory]
    [MemberData(nameof(Targets))]
    public void SeedsAndSavedCrashesRunWithoutAnException(string target)
    {
        var seeds = Inputs("corpus", target);
        Assert.NotEmpty(seeds);
        // The committed seeds are exactly what FuzzSeeds generates for this target (fuzz/run.sh starts from them).
        Assert.True(FuzzSeeds.All().Where(s => s.Target == target).All(s => seeds.Any(f => f.Name == s.Name)), "fuzz/corpus is stale: regenerate with WgSharp.Fuzz --seed");
        var crashes = Inputs("crashes", target);
        foreach (var (name, bytes) in seeds.Concat(crashes))
        {
            var exception = Record.Exception(() => FuzzTargets.Run(target, bytes));
            Assert.True(exception is null, $"{target}/{name}: {exception}");
        }
        output.WriteLine($"{target}: {seeds.Count} seeds, {crashes.Count} saved crashes");
    }

    [Theory]
    [MemberData(nameof(Targets))]
    public void RandomMutationsOfTheSeedsRunWithoutAnException(string target)
    {
        var random = new Random(20251125);
        var seeds = FuzzSeeds.All().Where(s => s.Target == target).Select(s => s.Bytes).ToList();
        int runs = target == "handshake" ? 1500 : 5000;
        for (int i = 0; i < runs; i++)
        {
            var input = Mutate(seeds[random.Next(seeds.Count)], random);
            var exception = Record.Exception(() => FuzzTargets.Run(target, input));
            Assert.True(exception is null, $"{target} input {Convert.ToHexString(input)}: {exception}");
        }
    }

    /// <summary>AFL-style havoc in miniature: flips, random bytes, interesting values, cuts, splices, repeats.</summary>
    private static byte[] Mutate(byte[] seed, Random random)
    {
        var data = new List<byte>(seed);
        int steps = 1 + random.Next(8);
        for (int s = 0; s < steps; s++)
        {
            int at = data.Count == 0 ? 0 : random.Next(data.Count);
            switch (random.Next(7))
            {
                case 0 when data.Count > 0: data[at] ^= (byte)(1 << random.Next(8)); break;
                case 1 when data.Count > 0: data[at] = (byte)random.Next(256); break;
                case 2 when data.Count > 0: data[at] = new byte[] { 0, 0xFF, 0x7F, 0x80, (byte)'\n', (byte)'=', (byte)'/', (byte)':', (byte)'%' }[random.Next(9)]; break;
                case 3 when data.Count > 0: data.RemoveRange(at, Math.Min(data.Count - at, 1 + random.Next(16))); break;
                case 4: data.InsertRange(at, Enumerable.Range(0, 1 + random.Next(16)).Select(_ => (byte)random.Next(256))); break;
                case 5 when data.Count > 0: data.InsertRange(at, data.GetRange(at, Math.Min(data.Count - at, 1 + random.Next(64)))); break;
                case 6: data.RemoveRange(Math.Min(at, data.Count), data.Count - Math.Min(at, data.Count)); break;
            }
        }
        return [.. data];
    }
}
