using WgSharp.Crypto;

namespace WgSharp.Tests.Portability;

/// <summary>
/// OpenSSL's libcrypto is looked for on Linux only, and not when libsodium is forced; libsodium then gives the very
/// bytes OpenSSL and the BCL give (Crypto.ChaChaPolyBackendTests.BothBackendsEqualTheBclByteForByte checks them).
/// </summary>
public class AeadBackendChoiceTests
{
    [Theory]
    [InlineData(false, true, true)]
    [InlineData(true, true, false)]   // WGSHARP_AEAD=libsodium
    [InlineData(false, false, false)] // Windows, macOS: no libcrypto.so to probe for
    [InlineData(true, false, false)]
    public void LibcryptoIsProbedForOnLinuxUnlessLibsodiumIsForced(bool forceLibsodium, bool isLinux, bool probes) =>
        Assert.Equal(probes, OpenSslChaChaPoly.ShouldProbe(forceLibsodium, isLinux));

    [Fact]
    public void SecureRandomFillsWhicheverSourceItUses()
    {
        var a = new byte[64];
        var b = new byte[64];
        SecureRandom.Fill(a);
        SecureRandom.Fill(b);
        Assert.NotEqual(a, b);
        Assert.NotEqual(new byte[64], a);
    }
}
