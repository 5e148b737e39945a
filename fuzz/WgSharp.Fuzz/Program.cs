using SharpFuzz;
using WgSharp.Tests.Robustness;

// Usage:
//   WgSharp.Fuzz TARGET              run under afl-fuzz (reads each input from AFL via SharpFuzz)
//   WgSharp.Fuzz TARGET FILE...      run the target once per file (reproduce a crash)
//   WgSharp.Fuzz --seed DIR          write the seed corpus DIR/TARGET/*
if (args.Length == 2 && args[0] == "--seed")
{
    foreach (var (seedTarget, name, bytes) in FuzzSeeds.All())
    {
        var directory = Path.Combine(args[1], seedTarget);
        Directory.CreateDirectory(directory);
        File.WriteAllBytes(Path.Combine(directory, name), bytes);
    }
    return 0;
}
if (args.Length == 0 || !FuzzTargets.Names.Contains(args[0]))
{
    Console.Error.WriteLine($"usage: WgSharp.Fuzz {string.Join('|', FuzzTargets.Names)} [FILE...] | --seed DIR");
    return 2;
}
var target = args[0];
if (args.Length > 1)
{
    foreach (var file in args[1..]) FuzzTargets.Run(target, File.ReadAllBytes(file));
    Console.WriteLine($"{args.Length - 1} input(s) ran without an exception");
    return 0;
}
Fuzzer.OutOfProcess.Run(stream =>
{
    using var buffer = new MemoryStream();
    stream.CopyTo(buffer);
    FuzzTargets.Run(target, buffer.ToArray());
});
return 0;
