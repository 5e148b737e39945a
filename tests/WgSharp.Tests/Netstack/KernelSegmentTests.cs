using System.Net;
using WgSharp.Device.IO;
using WgSharp.Netstack;

namespace WgSharp.Tests.Netstack;

/// <summary>Segments exactly as the Linux kernel sends them (taken from a capture) reach the stack's listeners.</summary>
public sealed class KernelSegmentTests
{
    // Linux 6.18's SYN from 10.77.0.1:42554 to 10.77.0.2:7000: MSS 1380, SACK permitted, timestamps, window scale 10.
    private static readonly byte[] KernelSyn = Convert.FromHexString(
        "4500003c651840004006c1070a4d00010a4d0002a63a1b58d0ce765800000000a002fd5cd5720000020405640402080a6a08ee1e000000000103030a");

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task AKernelSynToAListenerIsAnsweredWithASynAck(bool wildcard)
    {
        using var stack = new WgSharp.Netstack.Netstack(new NetstackOptions { Addresses = [IPNetwork.Parse("10.77.0.2/32")] });
        using var batch = new PacketBatch(64, 1500);
        var address = wildcard ? IPAddress.Any : IPAddress.Parse("10.77.0.2");
        var listener = stack.Tcp.Listen(UdpEndpoint.FromIPEndPoint(new IPEndPoint(address, 7000)), 16);

        stack.Input(KernelSyn);
        var read = Task.Run(() => stack.ReadOutput(batch));
        var done = await Task.WhenAny(read, Task.Delay(TimeSpan.FromSeconds(10)));

        Assert.True(done == read, "no answer to the SYN; counters: " + string.Join(",", NetstackCounters.All.Where(c => stack.Counters[c] != 0).Select(c => $"{c}={stack.Counters[c]}")));
        var synAck = batch.Packet(0);
        Assert.Equal(0x12, synAck[20 + 13] & 0x12); // SYN and ACK set
        listener.Close();
    }
}
