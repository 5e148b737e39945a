#!/usr/bin/python3
"""Independent WireGuard handshake known-answer generator (documentation, not run by CI).

Written from the WireGuard whitepaper (sections 5.4.2-5.4.6) only, using Debian's
python3-cryptography for X25519 and ChaCha20-Poly1305 and hashlib/hmac for BLAKE2s and
HMAC-BLAKE2s. It shares no code with wgsharp. KnownAnswerTests.cs uses the same fixed inputs
and asserts the bytes this script prints; the two were compared when the vector was made.

    apt-get install -y --no-install-recommends python3-cryptography
    /usr/bin/python3 tests/WgSharp.Tests/Protocol/kat/wireguard_kat.py
"""
import hashlib
import hmac
import struct

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305

CONSTRUCTION = b"Noise_IKpsk2_25519_ChaChaPoly_BLAKE2s"
IDENTIFIER = b"WireGuard v1 zx2c4 Jason@zx2c4.com"
LABEL_MAC1 = b"mac1----"

# Fixed inputs (must match KnownAnswerTests.cs).
INITIATOR_STATIC = bytes(range(0x01, 0x21))
RESPONDER_STATIC = bytes(range(0x21, 0x41))
INITIATOR_EPHEMERAL = bytes(range(0x41, 0x61))
RESPONDER_EPHEMERAL = bytes(range(0x61, 0x81))
PRESHARED = bytes(range(0x81, 0xA1))
INITIATOR_INDEX = 0x0A0B0C0D
RESPONDER_INDEX = 0x01020304
UNIX_SECONDS = 1577836800          # 2020-01-01T00:00:00Z
NANOSECONDS = 500_000_000          # .5 s
INITIATOR_PACKET = b"hello wireguard kat"   # 19 bytes, padded to 32
RESPONDER_PACKET = b"and back again"       # 14 bytes, padded to 16


def hash_(*parts):
    h = hashlib.blake2s()
    for p in parts:
        h.update(p)
    return h.digest()


def mac(key, data):
    return hashlib.blake2s(data, digest_size=16, key=key).digest()


def hmac_(key, data):
    return hmac.new(key, data, hashlib.blake2s).digest()


def kdf(n, key, data):
    """KDF_n from the whitepaper: HKDF with HMAC-BLAKE2s."""
    t0 = hmac_(key, data)
    out, t = [], b""
    for i in range(1, n + 1):
        t = hmac_(t0, t + bytes([i]))
        out.append(t)
    return out


def dh_pub(private):
    return X25519PrivateKey.from_private_bytes(private).public_key().public_bytes(
        serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def dh(private, public):
    return X25519PrivateKey.from_private_bytes(private).exchange(X25519PublicKey.from_public_bytes(public))


def aead(key, counter, plaintext, ad):
    nonce = b"\x00" * 4 + struct.pack("<Q", counter)
    return ChaCha20Poly1305(key).encrypt(nonce, plaintext, ad)


def tai64n(seconds, nanos):
    # 2^62 + 10 + unix seconds, big-endian; nanoseconds with the low 24 bits dropped
    # (wgsharp's timestamp whitening; any monotonic value is valid on the wire).
    return struct.pack(">QI", (1 << 62) + 10 + seconds, nanos & ~0xFFFFFF & 0xFFFFFFFF)


def padded(packet):
    return packet + b"\x00" * (-len(packet) % 16)


def run(psk):
    s_pub_i = dh_pub(INITIATOR_STATIC)
    s_pub_r = dh_pub(RESPONDER_STATIC)
    e_pub_i = dh_pub(INITIATOR_EPHEMERAL)
    e_pub_r = dh_pub(RESPONDER_EPHEMERAL)
    timestamp = tai64n(UNIX_SECONDS, NANOSECONDS)

    # Initiation (5.4.2)
    c = hash_(CONSTRUCTION)
    h = hash_(c, IDENTIFIER)
    h = hash_(h, s_pub_r)
    c = kdf(1, c, e_pub_i)[0]
    h = hash_(h, e_pub_i)
    c, k = kdf(2, c, dh(INITIATOR_EPHEMERAL, s_pub_r))
    enc_static = aead(k, 0, s_pub_i, h)
    h = hash_(h, enc_static)
    c, k = kdf(2, c, dh(INITIATOR_STATIC, s_pub_r))
    enc_timestamp = aead(k, 0, timestamp, h)
    h = hash_(h, enc_timestamp)
    init = struct.pack("<I", 1) + struct.pack("<I", INITIATOR_INDEX) + e_pub_i + enc_static + enc_timestamp
    init += mac(hash_(LABEL_MAC1, s_pub_r), init) + b"\x00" * 16
    assert len(init) == 148

    # Response (5.4.3)
    c = kdf(1, c, e_pub_r)[0]
    h = hash_(h, e_pub_r)
    c = kdf(1, c, dh(RESPONDER_EPHEMERAL, e_pub_i))[0]
    c = kdf(1, c, dh(RESPONDER_EPHEMERAL, s_pub_i))[0]
    c, tau, k = kdf(3, c, psk)
    h = hash_(h, tau)
    enc_empty = aead(k, 0, b"", h)
    h = hash_(h, enc_empty)
    resp = struct.pack("<I", 2) + struct.pack("<I", RESPONDER_INDEX) + struct.pack("<I", INITIATOR_INDEX) + e_pub_r + enc_empty
    resp += mac(hash_(LABEL_MAC1, s_pub_i), resp) + b"\x00" * 16
    assert len(resp) == 92

    # Transport keys (5.4.5) and one data message each way with counter 0 (5.4.6)
    send_i, send_r = kdf(2, c, b"")
    data_i = struct.pack("<IIQ", 4, RESPONDER_INDEX, 0) + aead(send_i, 0, padded(INITIATOR_PACKET), b"")
    data_r = struct.pack("<IIQ", 4, INITIATOR_INDEX, 0) + aead(send_r, 0, padded(RESPONDER_PACKET), b"")
    return init, resp, data_i, data_r


if __name__ == "__main__":
    for name, psk in (("no psk", b"\x00" * 32), ("psk", PRESHARED)):
        init, resp, data_i, data_r = run(psk)
        print(f"[{name}]")
        print("initiation", init.hex())
        print("response  ", resp.hex())
        print("data i->r ", data_i.hex())
        print("data r->i ", data_r.hex())
