using BenchmarkDotNet.Running;

if (args is ["udp-receive", .. var rest]) UdpReceiveBench.Run(rest);
else BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
