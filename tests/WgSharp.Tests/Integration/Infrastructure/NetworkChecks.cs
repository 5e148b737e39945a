using System.Diagnostics;
using System.Globalization;

namespace WgSharp.Tests.Integration.Infrastructure;

/// <summary>Reachability checks between test namespaces.</summary>
internal static class NetworkChecks
{
    /// <summary>One `ping` run from inside <paramref name="from"/>; true if all echoes were answered.</summary>
    public static bool Ping(NetworkNamespace from, string address, int count = 1, double waitSeconds = 2)
    {
        var arguments = new List<string> { "-n", "-q", "-c", count.ToString(CultureInfo.InvariantCulture), "-i", "0.2",
            "-W", waitSeconds.ToString(CultureInfo.InvariantCulture) };
        if (address.Contains(':'))
            arguments.Insert(0, "-6");
        arguments.Add(address);
        return from.Exec("ping", arguments, TimeSpan.FromSeconds(count * 0.2 + waitSeconds + 10)).Succeeded;
    }

    /// <summary>Pings once per second until an echo comes back or <paramref name="timeout"/> passes (handshakes take a moment).</summary>
    public static bool WaitForPing(NetworkNamespace from, string address, TimeSpan timeout)
    {
        var clock = Stopwatch.StartNew();
        do
        {
            if (Ping(from, address, 1, 1))
                return true;
        } while (clock.Elapsed < timeout);
        return false;
    }
}
