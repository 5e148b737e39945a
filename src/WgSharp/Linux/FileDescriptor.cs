using System.Runtime.Versioning;
using System.Runtime.InteropServices;

namespace WgSharp.Linux;

/// <summary>
/// An owned Linux file descriptor. Being a SafeHandle, the descriptor is closed only after every
/// in-flight call that took a reference (<see cref="Lease"/>) has returned, so closing from one
/// thread while another is blocked in poll/read can never hit a reused descriptor number.
/// </summary>
[SupportedOSPlatform("linux")]
internal sealed class FileDescriptor : SafeHandle
{
    public FileDescriptor(int fd) : base(new IntPtr(-1), ownsHandle: true) => SetHandle(new IntPtr(fd));

    public override bool IsInvalid => handle.ToInt64() < 0;

    protected override bool ReleaseHandle() => LibC.Close((int)handle.ToInt64()) == 0;

    /// <summary>The descriptor number; only valid while a lease is held.</summary>
    public int Number => (int)handle.ToInt64();

    /// <summary>Takes a reference; returns false if the descriptor is already closed.</summary>
    public bool TryLease()
    {
        var added = false;
        try
        {
            DangerousAddRef(ref added);
        }
        catch (ObjectDisposedException)
        {
            return false;
        }
        return added;
    }

    public void Unlease() => DangerousRelease();

    /// <summary>A scope holding a reference; throws ObjectDisposedException if already closed.</summary>
    public Lease Acquire()
    {
        if (!TryLease())
            throw new ObjectDisposedException(nameof(FileDescriptor));
        return new Lease(this);
    }

    public readonly struct Lease(FileDescriptor owner) : IDisposable
    {
        public int Number => owner.Number;
        public void Dispose() => owner.Unlease();
    }
}
