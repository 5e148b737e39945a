using System.Reflection;
using WgSharp.Configuration;
using WgSharp.Keys;

namespace WgSharp.Tests.Keys;

/// <summary>
/// The one rule of <see cref="SecretKeyCell"/>'s owners: each of the four configuration types has a
/// <c>ClearSecrets()</c> that gives back every cell it owns, a device-wide type its peers' too, and the keys read
/// as null afterwards. The cells are found by reflection, so a key field added later without being cleared fails here.
/// </summary>
public class SecretOwnersClearTests
{
    private static Key AKey() => KeyGenerator.GeneratePresharedKey();

    /// <summary>Every cell an object's own fields hold (not its peers').</summary>
    private static List<SecretKeyCell> CellsOf(object owner) =>
        owner.GetType().GetFields(BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic)
            .Where(f => f.FieldType == typeof(SecretKeyCell))
            .Select(f => (SecretKeyCell?)f.GetValue(owner))
            .OfType<SecretKeyCell>()
            .ToList();

    private static void AssertAllCleared(List<SecretKeyCell> cells, int expected)
    {
        Assert.Equal(expected, cells.Count); // the test really saw the cells it means to check
        Assert.All(cells, c => Assert.True(c.IsCleared));
    }

    [Fact]
    public void PeerUpdateClearSecretsFreesItsPresharedKey()
    {
        var peer = new PeerUpdate(AKey()) { PresharedKey = AKey() };
        var cells = CellsOf(peer);
        Assert.All(cells, c => Assert.False(c.IsCleared));

        peer.ClearSecrets();
        AssertAllCleared(cells, 1);
        Assert.Null(peer.PresharedKey);
        peer.ClearSecrets(); // twice is harmless
    }

    [Fact]
    public void DeviceUpdateClearSecretsFreesItsPrivateKeyAndEveryPeersPresharedKey()
    {
        var update = new DeviceUpdate { PrivateKey = AKey() };
        for (int i = 0; i < 3; i++) update.Peers.Add(new PeerUpdate(AKey()) { PresharedKey = AKey() });
        var cells = CellsOf(update).Concat(update.Peers.SelectMany(CellsOf)).ToList();

        update.ClearSecrets();
        AssertAllCleared(cells, 4);
        Assert.Null(update.PrivateKey);
        Assert.All(update.Peers, p => Assert.Null(p.PresharedKey));
        update.ClearSecrets();
    }

    [Fact]
    public void PeerStatusClearSecretsFreesItsPresharedKey()
    {
        var peer = new PeerStatus { PublicKey = AKey(), PresharedKey = AKey() };
        var cells = CellsOf(peer);

        peer.ClearSecrets();
        AssertAllCleared(cells, 1);
        Assert.Null(peer.PresharedKey);
        peer.ClearSecrets();
    }

    [Fact]
    public void DeviceStatusClearSecretsFreesItsPrivateKeyAndEveryPeersPresharedKey()
    {
        var peers = Enumerable.Range(0, 3).Select(_ => new PeerStatus { PublicKey = AKey(), PresharedKey = AKey() }).ToList();
        var status = new DeviceStatus { InterfaceName = "wg0", PrivateKey = AKey(), Peers = peers };
        var cells = CellsOf(status).Concat(peers.SelectMany(CellsOf)).ToList();

        status.ClearSecrets();
        AssertAllCleared(cells, 4);
        Assert.Null(status.PrivateKey);
        Assert.All(peers, p => Assert.Null(p.PresharedKey));
        status.ClearSecrets();
    }
}
