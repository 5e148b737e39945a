using System.Net.Sockets;
using WgSharp.Netstack;
using WgSharp.Netstack.Tcp;
using Xunit.Abstractions;

namespace WgSharp.Tests.Netstack.Tcp;

public class DebugTests(ITestOutputHelper output)
{
    [Fact]
    public void Debug()
    {
        var wire = new TcpWire(new TcpSettings { SynRetries = 3 });
        wire.BlackHole = true;
        var client = wire.A.Tcp.Connect(wire.A.At(0), wire.B.At(80));
        wire.Pump();
        for (int i = 0; i < 6; i++)
        {
            output.WriteLine($"now={wire.Clock.NowMs} next={wire.A.Host.NextDeadline()} state={client.State} err={client.Error} pkts={wire.PacketsAtoB}");
            wire.AdvanceToNextTimer();
        }
    }
}
