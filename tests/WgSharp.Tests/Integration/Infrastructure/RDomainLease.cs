using WgSharp.Cli.Ifconfig;
using WgSharp.Linux;

namespace WgSharp.Tests.Integration.Infrastructure;

/// <summary>
/// An rdomain number (namespace rdomainN) that no other test, in this run or in one running at the same time,
/// holds: test runs overlap on a shared machine, and an rdomain is a machine-wide name (its number is the routing
/// table, 1..255, so it cannot carry a unique suffix as interfaces do). The claim is an exclusive lock on a file
/// per number in /run/lock, released when the process ends however it ends; a number whose namespace already
/// exists is skipped (a run of tests with fixed numbers, or anything else, is using it). Dispose deletes the
/// namespace, then releases the number.
/// </summary>
public sealed class RDomainLease : IDisposable
{
    // Below the fixed 2xx numbers tests used before (runs of older code may still use them), above the manual's 1 and 2.
    private const int First = 100, Last = 199;
    private const string LockDirectory = "/run/lock";

    private readonly FileStream _lock;

    private RDomainLease(int number, FileStream @lock)
    {
        Number = number;
        _lock = @lock;
    }

    public int Number { get; }

    public string Namespace => RDomains.NamespaceOf(Number);

    public static RDomainLease Take()
    {
        for (int number = First; number <= Last; number++)
        {
            FileStream @lock;
            try
            {
                // FileShare.None is an exclusive flock(2) on Linux: it excludes other processes and other handles.
                @lock = new FileStream(Path.Combine(LockDirectory, $"wgsharp-tests-rdomain{number}.lock"),
                    FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            }
            catch (IOException)
            {
                continue; // held by another test
            }
            if (!NetNs.Exists(RDomains.NamespaceOf(number)))
                return new RDomainLease(number, @lock);
            @lock.Dispose();
        }
        throw new InvalidOperationException($"no free rdomain between {First} and {Last}");
    }

    public void Dispose()
    {
        try { NetNs.Delete(Namespace); }
        finally { _lock.Dispose(); }
    }
}
