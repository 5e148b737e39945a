using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;
using WgSharp.Linux.Netlink;

namespace WgSharp.Tests.Linux.Netlink;

/// <summary>
/// The socket's reply loop against a fake kernel: one end of a datagram socket pair is the netlink socket, the
/// test writes the kernel's replies into the other. Every bad reply becomes one clear <see cref="NetworkSetupException"/>.
/// </summary>
public sealed partial class NetlinkSocketReplyTests : IDisposable
{
    private const uint LastSequence = 1000; // the request goes out as 1001
    private readonly SafeFileHandle _kernel;
    private readonly NetlinkSocket _socket;

    public NetlinkSocketReplyTests()
    {
        var pair = new int[2];
        Assert.Equal(0, SocketPair(1 /* AF_UNIX */, 2 /* SOCK_DGRAM */, 0, pair));
        _socket = new NetlinkSocket(new SafeFileHandle(pair[0], ownsHandle: true), LastSequence);
        _kernel = new SafeFileHandle(pair[1], ownsHandle: true);
    }

    public void Dispose()
    {
        _socket.Dispose();
        _kernel.Dispose();
    }

    private static NetlinkMessageBuilder Change() =>
        new NetlinkMessageBuilder(RtNetlink.RTM_NEWLINK, 0).InterfaceInfo(0, 0, 0, 0).String(RtNetlink.IFLA_IFNAME, "lo");

    private void Reply(byte[] datagram) => Assert.Equal(datagram.Length, (int)Write((int)_kernel.DangerousGetHandle(), datagram, datagram.Length));

    private static byte[] Ack(uint sequence, int error) =>
        NetlinkMessageTests.Message(RtNetlink.NLMSG_ERROR, RtNetlink.NLM_F_CAPPED, sequence,
            [.. NetlinkMessageTests.Int32(error), .. NetlinkMessageTests.Message(RtNetlink.RTM_NEWLINK, 0, sequence, [])]);

    [Fact]
    public void ALateAnswerToAnEarlierRequestIsSkippedAndTheAcknowledgementEndsTheChange()
    {
        Reply(Ack(LastSequence, -1)); // for the request before: not ours
        Reply(Ack(LastSequence + 1, 0));
        _socket.Execute(Change(), "set link lo up");
    }

    [Fact]
    public void AnErrorBecomesOneLineWithTheAttemptAndTheErrnoName()
    {
        Reply(Ack(LastSequence + 1, -17));
        var error = Assert.Throws<NetworkSetupException>(() => _socket.Execute(Change(), "add address 10.0.0.1/24 to link lo"));
        Assert.Equal("cannot add address 10.0.0.1/24 to link lo: file exists (EEXIST)", error.Message);
        Assert.Equal(17, error.Errno);
    }

    [Fact]
    public void AMalformedReplyIsAClearErrorNotACrash()
    {
        var bad = NetlinkMessageTests.Message(RtNetlink.RTM_NEWLINK, 0, LastSequence + 1, new byte[8]);
        bad[0] = 200; // claims more than the datagram holds
        Reply(bad);
        var error = Assert.Throws<NetworkSetupException>(() => _socket.Execute(Change(), "set link lo up"));
        Assert.Equal("cannot set link lo up: malformed netlink reply", error.Message);
    }

    [Fact]
    public void AnErrorReplyTooShortForItsCodeIsAClearError()
    {
        Reply(NetlinkMessageTests.Message(RtNetlink.NLMSG_ERROR, 0, LastSequence + 1, [0xff, 0xff]));
        var error = Assert.Throws<NetworkSetupException>(() => _socket.Execute(Change(), "set link lo up"));
        Assert.Equal("cannot set link lo up: malformed netlink error reply", error.Message);
    }

    [Fact]
    public void ADumpEndsAtDoneAndReportsTheErrnoDoneCarries()
    {
        uint sequence = LastSequence + 1;
        Reply([.. NetlinkMessageTests.Message(RtNetlink.RTM_NEWLINK, RtNetlink.NLM_F_MULTI, sequence, new byte[16]),
               .. NetlinkMessageTests.Message(RtNetlink.RTM_NEWLINK, RtNetlink.NLM_F_MULTI, sequence, new byte[16])]);
        Reply(NetlinkMessageTests.Message(RtNetlink.NLMSG_DONE, RtNetlink.NLM_F_MULTI, sequence, NetlinkMessageTests.Int32(-105)));
        int seen = 0;
        var dump = new NetlinkMessageBuilder(RtNetlink.RTM_GETLINK, RtNetlink.NLM_F_DUMP).InterfaceInfo(0, 0, 0, 0);
        int errno = _socket.TryExecute(dump, "list links", (in NetlinkMessage _) => seen++, out _);
        Assert.Equal(2, seen);
        Assert.Equal(105, errno);
    }

    [Fact]
    public void AnOverrunIsAClearError()
    {
        Reply(NetlinkMessageTests.Message(RtNetlink.NLMSG_OVERRUN, 0, LastSequence + 1, []));
        var error = Assert.Throws<NetworkSetupException>(() => _socket.Execute(Change(), "list links"));
        Assert.Equal("cannot list links: netlink reply overrun", error.Message);
    }

    [Fact]
    public void ADatagramLargerThanTheBufferIsRefusedNotCut()
    {
        Reply(new byte[70_000]);
        var error = Assert.Throws<NetworkSetupException>(() => _socket.Execute(Change(), "list links"));
        Assert.Equal("cannot list links: netlink reply larger than the receive buffer", error.Message);
    }

    [LibraryImport("libc", EntryPoint = "write", SetLastError = true)]
    private static partial nint Write(int fd, byte[] buffer, nint count);

    [LibraryImport("libc", EntryPoint = "socketpair", SetLastError = true)]
    private static partial int SocketPair(int domain, int type, int protocol, [Out] int[] fds);
}
