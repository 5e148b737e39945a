namespace WgSharp.Linux.Netlink;

/// <summary>The rtnetlink numbers this client uses (linux/netlink.h, linux/rtnetlink.h, linux/if_link.h, linux/if_addr.h).</summary>
internal static class RtNetlink
{
    public const int HeaderLength = 16;        // struct nlmsghdr
    public const int AttributeHeaderLength = 4; // struct nlattr

    // Message types.
    public const ushort NLMSG_NOOP = 1;
    public const ushort NLMSG_ERROR = 2;
    public const ushort NLMSG_DONE = 3;
    public const ushort NLMSG_OVERRUN = 4;
    public const ushort RTM_NEWLINK = 16;
    public const ushort RTM_DELLINK = 17;
    public const ushort RTM_GETLINK = 18;
    public const ushort RTM_NEWADDR = 20;
    public const ushort RTM_DELADDR = 21;
    public const ushort RTM_GETADDR = 22;
    public const ushort RTM_NEWROUTE = 24;

    // Message flags.
    public const ushort NLM_F_REQUEST = 0x1;
    public const ushort NLM_F_MULTI = 0x2;
    public const ushort NLM_F_ACK = 0x4;
    public const ushort NLM_F_DUMP = 0x300;
    public const ushort NLM_F_EXCL = 0x200;
    public const ushort NLM_F_CREATE = 0x400;
    public const ushort NLM_F_CAPPED = 0x100;   // on NLMSG_ERROR: the request was not echoed in full
    public const ushort NLM_F_ACK_TLVS = 0x200; // on NLMSG_ERROR: extended-ack attributes follow
    public const ushort NLMSGERR_ATTR_MSG = 1;

    // struct ifinfomsg (16 bytes) and its attributes.
    public const int IfInfoLength = 16;
    public const uint IFF_UP = 0x1;
    public const ushort IFLA_IFNAME = 3;
    public const ushort IFLA_MTU = 4;
    public const ushort IFLA_LINKINFO = 18;
    public const ushort IFLA_IFALIAS = 20;
    public const ushort IFLA_NET_NS_FD = 28;
    public const ushort IFLA_INFO_KIND = 1;

    // struct ifaddrmsg (8 bytes) and its attributes.
    public const int IfAddrLength = 8;
    public const ushort IFA_ADDRESS = 1;
    public const ushort IFA_LOCAL = 2;
    public const ushort IFA_FLAGS = 8;
    public const byte IFA_F_NODAD = 0x02;
    public const byte IFA_F_PERMANENT = 0x80;

    // struct rtmsg (12 bytes) and its attributes.
    public const int RtMsgLength = 12;
    public const ushort RTA_DST = 1;
    public const ushort RTA_OIF = 4;
    public const byte RT_TABLE_MAIN = 254;
    public const byte RTPROT_BOOT = 3;
    public const byte RT_SCOPE_UNIVERSE = 0;
    public const byte RT_SCOPE_LINK = 253;
    public const byte RTN_UNICAST = 1;

    public const byte AF_UNSPEC = 0;
    public const byte AF_INET = 2;
    public const byte AF_INET6 = 10;

    /// <summary>Netlink aligns every message and attribute to 4 bytes.</summary>
    public static int Align(int length) => (length + 3) & ~3;
}
