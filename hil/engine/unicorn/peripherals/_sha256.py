"""SHA-256 arithmetic shared by the hash accelerator models (not a model: nothing registers).

``BlockStream`` is the message a hash core has processed so far, in whole 64-byte blocks. The
models use it two ways:

- the final digest of a message whose padding the hardware appends (STM32 HASH, DCAL):
  ``digest_with_tail`` (hashlib over the blocks and the last bytes);
- the chaining state after the blocks (LPC55S69 HASHCRYPT, whose DIGEST registers show the state
  after every block and whose driver pads the message itself): ``chaining_state``. When the
  blocks end with a correct SHA-256 padding of some message M (the common case: firmware reads
  the digest after its padded last block), the state is hashlib's SHA-256(M); otherwise it is
  computed here in Python from the initial value (FIPS 180-4 section 6.2.2), slower but exact.
"""

from __future__ import annotations

import hashlib
import struct

IV = (
    0x6A09E667,
    0xBB67AE85,
    0x3C6EF372,
    0xA54FF53A,
    0x510E527F,
    0x9B05688C,
    0x1F83D9AB,
    0x5BE0CD19,
)
_K = (
    0x428A2F98, 0x71374491, 0xB5C0FBCF, 0xE9B5DBA5, 0x3956C25B, 0x59F111F1, 0x923F82A4, 0xAB1C5ED5,
    0xD807AA98, 0x12835B01, 0x243185BE, 0x550C7DC3, 0x72BE5D74, 0x80DEB1FE, 0x9BDC06A7, 0xC19BF174,
    0xE49B69C1, 0xEFBE4786, 0x0FC19DC6, 0x240CA1CC, 0x2DE92C6F, 0x4A7484AA, 0x5CB0A9DC, 0x76F988DA,
    0x983E5152, 0xA831C66D, 0xB00327C8, 0xBF597FC7, 0xC6E00BF3, 0xD5A79147, 0x06CA6351, 0x14292967,
    0x27B70A85, 0x2E1B2138, 0x4D2C6DFC, 0x53380D13, 0x650A7354, 0x766A0ABB, 0x81C2C92E, 0x92722C85,
    0xA2BFE8A1, 0xA81A664B, 0xC24B8B70, 0xC76C51A3, 0xD192E819, 0xD6990624, 0xF40E3585, 0x106AA070,
    0x19A4C116, 0x1E376C08, 0x2748774C, 0x34B0BCB5, 0x391C0CB3, 0x4ED8AA4A, 0x5B9CCA4F, 0x682E6FF3,
    0x748F82EE, 0x78A5636F, 0x84C87814, 0x8CC70208, 0x90BEFFFA, 0xA4506CEB, 0xBEF9A3F7, 0xC67178F2,
)  # fmt: skip
_M = 0xFFFF_FFFF


def _ror(x: int, n: int) -> int:
    return ((x >> n) | (x << (32 - n))) & _M


def compress(state: tuple[int, ...], block: bytes) -> tuple[int, ...]:
    """One SHA-256 compression of a 64-byte block into the chaining state (8 words)."""
    w = list(struct.unpack(">16I", block))
    for t in range(16, 64):
        s0 = _ror(w[t - 15], 7) ^ _ror(w[t - 15], 18) ^ (w[t - 15] >> 3)
        s1 = _ror(w[t - 2], 17) ^ _ror(w[t - 2], 19) ^ (w[t - 2] >> 10)
        w.append((w[t - 16] + s0 + w[t - 7] + s1) & _M)
    a, b, c, d, e, f, g, h = state
    for t in range(64):
        t1 = h + (_ror(e, 6) ^ _ror(e, 11) ^ _ror(e, 25)) + ((e & f) ^ (~e & g)) + _K[t] + w[t]
        t2 = (_ror(a, 2) ^ _ror(a, 13) ^ _ror(a, 22)) + ((a & b) ^ (a & c) ^ (b & c))
        a, b, c, d, e, f, g, h = (t1 + t2) & _M, a, b, c, (d + t1) & _M, e, f, g
    return tuple((x + y) & _M for x, y in zip(state, (a, b, c, d, e, f, g, h), strict=True))


def padded_length(message_len: int) -> int:
    """Bytes of the padded message for a message of ``message_len`` bytes."""
    return (message_len + 9 + 63) // 64 * 64


class BlockStream:
    """The whole 64-byte blocks a hash core has processed since its last (re)start."""

    def __init__(self) -> None:
        self.data = bytearray()
        self._state: tuple[int, ...] = IV
        self._state_blocks = 0  # blocks folded into the cached pure-Python state

    def reset(self) -> None:
        self.data = bytearray()
        self._state, self._state_blocks = IV, 0

    @property
    def blocks(self) -> int:
        return len(self.data) // 64

    def add(self, block: bytes) -> None:
        self.data += block

    def digest_with_tail(self, tail: bytes) -> bytes:
        """SHA-256 of the blocks followed by ``tail`` (the hardware pads)."""
        return hashlib.sha256(bytes(self.data) + tail).digest()

    def chaining_state(self) -> tuple[int, ...]:
        """The SHA-256 chaining state after every block processed so far."""
        data = self.data
        n = len(data)
        if n >= 64:
            bits = int.from_bytes(data[n - 8 :], "big")
            m = bits // 8
            if (
                bits % 8 == 0
                and padded_length(m) == n
                and data[m] == 0x80
                and not any(data[m + 1 : n - 8])
            ):
                return struct.unpack(">8I", hashlib.sha256(bytes(data[:m])).digest())
        state = self._state
        done = self._state_blocks
        for i in range(done, n // 64):
            state = compress(state, bytes(data[64 * i : 64 * i + 64]))
        self._state, self._state_blocks = state, n // 64
        return state
