using WgSharp.Keys;
using WgSharp.Protocol.Noise;
using Xunit;

namespace WgSharp.Tests.Protocol;

public class LocalIdentityTests
{
    [Fact]
    public void AHandshakeHoldingTheOldKeysIsNotHandedZeroedKeysWhenTheKeyChanges()
    {
        var identity = new LocalIdentity();
        var first = KeyGenerator.GeneratePrivateKey();
        identity.SetPrivateKey(first);
        var expected = KeyGenerator.ClampPrivateKey(first).AsSpan().ToArray();

        using (var held = identity.Hold()) // a handshake worker in the middle of its Diffie-Hellman
        {
            var old = held.Keys!;
            identity.SetPrivateKey(KeyGenerator.GeneratePrivateKey()); // the control plane swaps the key meanwhile
            Assert.NotSame(old, identity.Keys);
            Assert.Equal(expected, old.PrivateKey.ToArray()); // still whole while held
        }
    }

    [Fact]
    public void TheOldKeysAreZeroedWhenTheLastHoldIsLetGo()
    {
        var identity = new LocalIdentity();
        identity.SetPrivateKey(KeyGenerator.GeneratePrivateKey());
        var held = identity.Hold();
        var old = held.Keys!;
        identity.SetPrivateKey(null);
        Assert.Null(identity.Keys);
        Assert.Contains(old.PrivateKey.ToArray(), b => b != 0);
        held.Dispose();
        Assert.All(old.PrivateKey.ToArray(), b => Assert.Equal(0, b));
        Assert.False(old.TryHold()); // zeroed keys are never handed out again
    }

    [Fact]
    public void KeysNoHandshakeHoldsAreZeroedAtOnce()
    {
        var identity = new LocalIdentity();
        identity.SetPrivateKey(KeyGenerator.GeneratePrivateKey());
        var old = identity.Keys!;
        identity.SetPrivateKey(KeyGenerator.GeneratePrivateKey());
        Assert.All(old.PrivateKey.ToArray(), b => Assert.Equal(0, b));
    }
}
