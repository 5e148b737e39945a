using System.Collections.Concurrent;
using WgSharp.Keys;
using WgSharp.Protocol;

namespace WgSharp.Tests.Protocol;

/// <summary>
/// Issue 11 item 1: the device runs handshake work on several workers at once, so ProcessHandshake must be safe
/// in parallel. A burst of 300 clients (a server restart) handled by 4 threads: every one gets its session, the
/// index table holds exactly one entry per session, and a concurrent change of our private key cannot mix identities.
/// </summary>
public class ParallelHandshakeTests
{
    private static readonly TimeSpan Now = TimeSpan.FromHours(1);

    [Fact]
    public void ABurstOfClientsHandledByFourWorkersAllGetASession()
    {
        var server = new ProtocolEngine();
        server.SetPrivateKey(KeyGenerator.GeneratePrivateKey());
        var serverPublic = server.Identity.PublicKey!.Value;
        var clients = Enumerable.Range(0, 300).Select(_ =>
        {
            var engine = new ProtocolEngine();
            engine.SetPrivateKey(KeyGenerator.GeneratePrivateKey());
            var peer = engine.AddPeer(serverPublic)!;
            Assert.NotNull(server.AddPeer(engine.Identity.PublicKey!.Value));
            return (Engine: engine, Peer: peer);
        }).ToArray();

        var initiations = new ConcurrentQueue<(int Client, byte[] Message)>();
        for (int i = 0; i < clients.Length; i++)
        {
            var message = new byte[MessageLayout.InitiationSize];
            Assert.True(clients[i].Peer.TryCreateInitiation(clients[i].Engine, Now, DateTimeOffset.UtcNow, false, message));
            initiations.Enqueue((i, message));
        }

        var responses = new ConcurrentBag<(int Client, byte[] Message)>();
        var workers = Enumerable.Range(0, 4).Select(w => new Thread(() =>
        {
            var reply = new byte[MessageLayout.InitiationSize];
            byte[] source = [192, 0, 2, (byte)w, 0, 1];
            while (initiations.TryDequeue(out var work))
            {
                var result = server.ProcessHandshake(work.Message, source, Now, underLoad: false, reply);
                Assert.Equal(HandshakeOutcome.ResponseWritten, result.Outcome);
                responses.Add((work.Client, reply[..result.ReplyLength]));
            }
        })).ToList();
        workers.ForEach(t => t.Start());
        workers.ForEach(t => t.Join());

        Assert.Equal(clients.Length, responses.Count);
        foreach (var (client, response) in responses)
        {
            var result = clients[client].Engine.ProcessHandshake(response, [198, 51, 100, 1, 0xCA, 0x6C], Now, false, new byte[MessageLayout.InitiationSize]);
            Assert.Equal(HandshakeOutcome.SessionEstablished, result.Outcome);
        }
        Assert.All(server.Peers, p => Assert.NotNull(p.Keypairs.Next));
        Assert.Equal(clients.Length, server.Indices.Count);
    }

    /// <summary>
    /// Handshake workers read our key pair while Apply replaces it: every snapshot a reader takes is one identity
    /// (its public key is its private key's), never one key's private half with another's public half. A replaced
    /// pair is zeroed, so a reader that holds on to it sees zeros, never someone else's key.
    /// </summary>
    [Fact]
    public void AKeyPairReadWhileThePrivateKeyChangesIsAlwaysOneIdentity()
    {
        var identity = new WgSharp.Protocol.Noise.LocalIdentity();
        identity.SetPrivateKey(KeyGenerator.GeneratePrivateKey());
        var keys = Enumerable.Range(0, 64).Select(_ => KeyGenerator.GeneratePrivateKey()).ToArray();
        int checkedPairs = 0, mixed = 0;
        using var stop = new CancellationTokenSource();
        var readers = Enumerable.Range(0, 2).Select(_ => new Thread(() =>
        {
            var privateKey = new byte[Key.Size];
            while (!stop.IsCancellationRequested)
            {
                var pair = identity.Keys!;
                var publicKey = pair.PublicKey;
                pair.PrivateKey.CopyTo(privateKey);
                if (privateKey.AsSpan().IndexOf(new byte[8]) >= 0) continue; // replaced and (partly) zeroed meanwhile
                if (KeyGenerator.DerivePublicKey(new Key(privateKey)) != publicKey) Interlocked.Increment(ref mixed);
                Interlocked.Increment(ref checkedPairs);
            }
        })).ToList();
        readers.ForEach(t => t.Start());
        for (int i = 0; i < 2000; i++) identity.SetPrivateKey(keys[i % keys.Length]);
        stop.Cancel();
        readers.ForEach(t => t.Join());
        Assert.True(checkedPairs > 0);
        Assert.Equal(0, mixed);
    }
}
