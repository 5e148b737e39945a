using BenchmarkDotNet.Running;

if (args.Length > 0 && args[0] == "pipeline")
{
    // A console command, not BenchmarkDotNet: the work spreads over threads and is measured as a rate.
    WgSharp.Bench.PipelineBenchmark.RunCommand(args[1..]);
    return;
}
if (args is ["device-pipeline", .. var options]) WgSharp.Bench.DevicePipelineBench.Run(options);
else if (args is ["udp-receive", .. var rest]) UdpReceiveBench.Run(rest);
else if (args is ["netstack-loss", .. var lossArgs]) NetstackLossBench.Run(lossArgs);
else if (args is ["netstack-pair", .. var pairOptions]) WgSharp.Bench.NetstackPairBench.Run(pairOptions);
else BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
