using System.Runtime.InteropServices;
using System.Security.Cryptography;

namespace WgSharp.Crypto;

/// <summary>
/// Cryptographically secure random bytes from the kernel's getrandom(2) on Linux, the BCL's generator elsewhere. The BCL's RandomNumberGenerator
/// goes through OpenSSL on Linux: loading libssl and libcrypto and reading openssl.cnf cost a short-lived
/// command such as `wgsharp genkey` a few milliseconds of its start, for 32 bytes.
/// </summary>
internal static unsafe partial class SecureRandom
{
    [LibraryImport("libc", SetLastError = true)]
    private static partial nint getrandom(byte* buffer, nuint length, uint flags);


    public static void Fill(Span<byte> destination)
    {
        // getrandom is Linux's system call (libc is not even a library name on Windows): elsewhere the BCL's generator.
        if (!OperatingSystem.IsLinux())
        {
            RandomNumberGenerator.Fill(destination);
            return;
        }
        fixed (byte* start = destination)
        {
            int filled = 0;
            while (filled < destination.Length)
            {
                nint n = getrandom(start + filled, (nuint)(destination.Length - filled), 0);
                if (n > 0) { filled += (int)n; continue; }
                if (n < 0 && Marshal.GetLastPInvokeError() == Errno.EINTR) continue;
                // No getrandom (a kernel before 3.17, a seccomp filter): the BCL's generator instead.
                RandomNumberGenerator.Fill(destination[filled..]);
                return;
            }
        }
    }
}
