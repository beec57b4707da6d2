"""Measure firmware_stubs/core/{sha256,p256}.c on Cortex-M33 (Unicorn), a one-off benchmark.

Run: .venv/bin/python tests/crypto/measure_m33.py [--verifies N] [--profile]

Builds the sources with arm-none-eabi-gcc -mcpu=cortex-m33 -mthumb -mfloat-abi=soft -Os
-ffreestanding -nostdlib (see m33_support.py) and reports:
  - instructions per p256_verify (valid signatures, plus one invalid one),
  - instructions per SHA-256 byte (one-shot hash of 64 KiB),
  - text size of p256.o / sha256.o,
  - the worst-case stack of p256_verify / sha256 over the static call graph
    (-fcallgraph-info=su) and the deepest stack actually touched (painted stack).
Not part of the test run (no test_ prefix).
"""

from __future__ import annotations

import argparse
import hashlib
import random
import sys
import tempfile
from pathlib import Path

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

sys.path.insert(0, str(Path(__file__).resolve().parent))
from m33_support import BLOB, M33, build  # noqa: E402


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--verifies", type=int, default=5)
    ap.add_argument("--profile", action="store_true", help="instructions per function")
    args = ap.parse_args()
    rng = random.Random(1234)
    with tempfile.TemporaryDirectory() as td:
        b = build(Path(td))
        profile: dict[int, int] | None = {} if args.profile else None
        m33 = M33(b, count_instructions=True, profile=profile)

        counts = []
        stack_max = 0
        key = ec.derive_private_key(rng.randrange(1, 2**255), ec.SECP256R1())
        pn = key.public_key().public_numbers()
        pub = pn.x.to_bytes(32, "big") + pn.y.to_bytes(32, "big")
        for i in range(args.verifies + 1):
            msg = rng.randbytes(64)
            r, s = decode_dss_signature(key.sign(msg, ec.ECDSA(hashes.SHA256())))
            h = hashlib.sha256(msg).digest()
            want = 0
            if i == args.verifies:  # one bad signature: same work, result MISMATCH
                h = bytes([h[0] ^ 1]) + h[1:]
                want = 3
            m33.uc.mem_write(BLOB, pub + h + r.to_bytes(32, "big") + s.to_bytes(32, "big"))
            rc, n, st = m33.call("p256_verify", [BLOB, BLOB + 64, BLOB + 96, BLOB + 128])
            if rc != want:
                print(f"p256_verify returned {rc}, expected {want}", file=sys.stderr)
                return 1
            counts.append(n)
            stack_max = max(stack_max, st)

        if profile is not None:
            funcs = sorted((a & ~1, n) for n, a in b.syms.items() if 0x200 <= a < 0x20000000)
            per: dict[str, int] = {}
            for addr, n in profile.items():
                name = "?"
                for fa, fn in funcs:
                    if fa <= addr:
                        name = fn
                per[name] = per.get(name, 0) + n
            total = sum(per.values())
            for name, n in sorted(per.items(), key=lambda kv: -kv[1]):
                print(
                    f"  profile {name:28s} {n / len(counts):>10.0f} per verify "
                    f"({100 * n / total:.1f}%)"
                )
            m33.profile = None

        data = rng.randbytes(65536)
        m33.uc.mem_write(BLOB + 0x100, data)
        _, n_sha, st_sha = m33.call("sha256", [BLOB + 0x100, len(data), BLOB])
        if bytes(m33.uc.mem_read(BLOB, 32)) != hashlib.sha256(data).digest():
            print("sha256 digest mismatch", file=sys.stderr)
            return 1

        bound, path = b.stack_bound("p256_verify")
        sbound, spath = b.stack_bound("sha256")
        print(
            f"p256_verify: instructions per verify: min {min(counts)} max {max(counts)} "
            f"mean {sum(counts) // len(counts)} over {len(counts)} calls"
        )
        print(
            f"p256_verify: stack bound (call graph) {bound} B via {' > '.join(path)}; "
            f"touched {stack_max} B"
        )
        print(f"sha256(64 KiB): {n_sha} instructions = {n_sha / len(data):.2f} per byte")
        print(f"sha256: stack bound {sbound} B via {' > '.join(spath)}; touched {st_sha} B")
        print(
            f"text (-Os): p256.o {b.text_sizes['p256']} B (incl. the 2 KiB G table), "
            f"sha256.o {b.text_sizes['sha256']} B"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
