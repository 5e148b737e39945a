using System.Diagnostics;
using WgSharp.Cli.Proxy.Front;

namespace WgSharp.Tests.Proxy.Front;

public class PcapWriterTests
{
    /// <summary>An IPv4 UDP packet 10.0.0.2:1234 -> 10.0.0.1:53 with a valid header checksum.</summary>
    private static byte[] UdpPacket(int payload)
    {
        var p = new byte[28 + payload];
        p[0] = 0x45;
        p[2] = (byte)(p.Length >> 8); p[3] = (byte)p.Length;
        p[8] = 64; p[9] = 17;
        p[12] = 10; p[15] = 2; p[16] = 10; p[19] = 1;
        int sum = 0;
        for (int i = 0; i < 20; i += 2) sum += (p[i] << 8) | p[i + 1];
        while (sum > 0xffff) sum = (sum & 0xffff) + (sum >> 16);
        p[10] = (byte)(~sum >> 8); p[11] = (byte)~sum;
        p[20] = 0x04; p[21] = 0xd2; p[23] = 53;
        p[24] = (byte)((8 + payload) >> 8); p[25] = (byte)(8 + payload);
        return p;
    }

    [Fact]
    public void TcpdumpReadsTheCapture()
    {
        string path = Path.Combine(Path.GetTempPath(), $"wgsharp-{Guid.NewGuid():N}.pcap");
        try
        {
            using (var writer = new PcapWriter(path))
            {
                writer.Capture(UdpPacket(10), outbound: true);
                writer.Capture(UdpPacket(100), outbound: false);
                writer.Capture([], outbound: false); // nothing to record
            }
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));
            var tcpdump = Process.Start(new ProcessStartInfo("tcpdump", ["-n", "-r", path]) { RedirectStandardOutput = true, RedirectStandardError = true })!;
            string output = tcpdump.StandardOutput.ReadToEnd();
            string error = tcpdump.StandardError.ReadToEnd();
            tcpdump.WaitForExit();
            Assert.True(tcpdump.ExitCode == 0, error);
            Assert.Contains("link-type RAW", error);
            var lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
            Assert.Equal(2, lines.Length);
            Assert.Contains("IP 10.0.0.2.1234 > 10.0.0.1.53", lines[0]);
            Assert.Contains("IP 10.0.0.2.1234 > 10.0.0.1.53", lines[1]);
        }
        finally { File.Delete(path); }
    }

    [Fact]
    public void AFullRingDropsAndCountsInsteadOfBlocking()
    {
        string path = Path.Combine(Path.GetTempPath(), $"wgsharp-{Guid.NewGuid():N}.pcap");
        try
        {
            var packet = UdpPacket(1000);
            long captured = 0;
            using (var writer = new PcapWriter(path, capacity: 4))
            {
                // Far more than the ring holds, faster than a disk writes: some must be dropped, none may block.
                for (int i = 0; i < 200_000; i++) writer.Capture(packet, outbound: true);
                captured = 200_000;
                writer.Dispose();
                Assert.Equal(captured, writer.Written + writer.Dropped);
                Assert.True(writer.Dropped > 0);
                Assert.Equal(24 + writer.Written * (16 + packet.Length), new FileInfo(path).Length);
            }
        }
        finally { File.Delete(path); }
    }

    [Fact]
    public void AnUncreatableFileThrowsAnIOError()
    {
        Assert.ThrowsAny<IOException>(() => new PcapWriter("/nonexistent/dir/x.pcap"));
    }
}
