#!/usr/bin/env bash
# Fuzz the C image verifier (firmware_stubs/fuzz/fuzz_image.c) with libFuzzer + ASan + UBSan.
#
#   bash scripts/fuzz.sh [SECONDS]        (default 600; not part of the default test run)
#
# Installs clang (and the compiler-rt runtime that holds libFuzzer/ASan, Debian package
# libclang-rt-dev) with apt-get if they are missing, builds build/fuzz/fuzz_image, seeds
# build/fuzz/seeds with valid images signed by PyPI imgtool with the fuzz anchor's signer
# key, runs for SECONDS over the persistent corpus build/fuzz/corpus and prints libFuzzer's
# final stats. Crash inputs go to build/fuzz/artifacts/; the exit status is libFuzzer's
# (0 = no crash). Replay one input: build/fuzz/fuzz_image <file>.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
SECS=${1:-600}
OUT=$ROOT/build/fuzz
FW=$ROOT/firmware_stubs
PY=$ROOT/.venv/bin/python
[ -x "$PY" ] || PY=python3

need_install=0
command -v clang >/dev/null 2>&1 || need_install=1
probe=$(mktemp -d)
if [ $need_install = 0 ]; then
  echo 'int LLVMFuzzerTestOneInput(const char *d, unsigned long n){(void)d;(void)n;return 0;}' \
    > "$probe/p.c"
  clang -fsanitize=fuzzer,address,undefined "$probe/p.c" -o "$probe/p" >/dev/null 2>&1 \
    || need_install=1
fi
if [ $need_install = 1 ]; then
  echo "== installing clang + libFuzzer runtime (apt-get)"
  apt-get update
  apt-get install -y --no-install-recommends clang
  echo 'int LLVMFuzzerTestOneInput(const char *d, unsigned long n){(void)d;(void)n;return 0;}' \
    > "$probe/p.c"
  if ! clang -fsanitize=fuzzer,address,undefined "$probe/p.c" -o "$probe/p" >/dev/null 2>&1; then
    apt-get install -y --no-install-recommends libclang-rt-dev
  fi
fi
rm -rf "$probe"

mkdir -p "$OUT/corpus" "$OUT/seeds" "$OUT/artifacts"
echo "== building $OUT/fuzz_image"
clang -g -O1 -std=c11 -Wall -Wextra -Werror -fsanitize=fuzzer,address,undefined \
  -fno-sanitize-recover=undefined -DHIL_CRYPTO_SW=1 -I"$FW/core" "$FW/fuzz/fuzz_image.c" "$FW/core/image.c" \
  "$FW/core/keyring.c" "$FW/core/sha256.c" "$FW/core/p256.c" "$FW/core/crc32.c" \
  -o "$OUT/fuzz_image"

echo "== seeding $OUT/seeds"
"$PY" - "$OUT/seeds" <<'PYEOF'
"""Valid seed images for the fuzz anchor: imgtool-signed, header 0x200, hw 0x12345678."""
import hashlib, math, random, struct, subprocess, sys
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

out = Path(sys.argv[1])
imgtool = Path(sys.executable).parent / "imgtool"
key = out / "signer.pem"
key.write_bytes(ec.derive_private_key(0x5EED0001, ec.SECP256R1()).private_bytes(
    serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
    serialization.NoEncryption()))
spki = ec.derive_private_key(0x5EED0001, ec.SECP256R1()).public_key().public_bytes(
    serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
kid = int.from_bytes(hashlib.sha256(spki).digest()[:4], "big")
assert kid == 0xA3DECC71, hex(kid)
u32 = lambda v: "0x" + struct.pack("<I", v).hex()
cases = [  # (payload size, chunk size, build, slot, extra TLVs)
    (1, 512, 3, 0, []), (600, 512, 3, 0, [(0xA7, "1.0.0")]), (1500, 1024, 4, 0, []),
    (2048, 512, 5, 1, [(0xA8, 2)]), (700, 512, 1, 0, [(0xA7, "9.9.9-rc1")]),
]
for i, (size, chunk, build, slot, extra) in enumerate(cases):
    payload = random.Random(i).randbytes(size)
    hashes = b"".join(hashlib.sha256(payload[j * chunk:(j + 1) * chunk]).digest()
                      for j in range(math.ceil(size / chunk)))
    src = out / f"payload{i}.raw"
    src.write_bytes(payload)
    tlvs = [(0xA0, u32(kid)), (0xA1, u32(0x12345678)), (0xA2, u32(1)), (0xA3, u32(slot)),
            (0xA4, u32(size)), (0xA5, u32(chunk)), (0xA6, "0x" + hashes.hex())]
    for t, v in extra:
        tlvs.append((t, u32(v) if isinstance(v, int) else "0x" + v.encode().hex()))
    cmd = [str(imgtool), "sign", "--key", str(key), "--header-size", "0x200", "--pad-header",
           "--align", "4", "--slot-size", "0x4000", "--version", f"1.0.0+{build}",
           "-s", str(build), "--public-key-format", "hash"]
    for t, v in tlvs:
        cmd += ["--custom-tlv", hex(t), v]
    dst = out / f"seed{i}.img"
    subprocess.run(cmd + [str(src), str(dst)], check=True, capture_output=True)
    # the image followed by a little erased flash, as in a slot
    dst.write_bytes(dst.read_bytes() + b"\xff" * 64)
    src.unlink()
key.unlink()
print(f"{len(cases)} seed images")
PYEOF

echo "== fuzzing for ${SECS}s"
set +e
"$OUT/fuzz_image" -max_total_time="$SECS" -max_len=16384 -timeout=10 -print_final_stats=1 \
  -artifact_prefix="$OUT/artifacts/" "$OUT/corpus" "$OUT/seeds" 2>&1 | tee "$OUT/fuzz.log" \
  | grep --line-buffered -E '^#[0-9]+[[:space:]]+(INITED|DONE|pulse)|ERROR|SUMMARY|Test unit written'
rc=${PIPESTATUS[0]}
set -e
echo "== final stats"
grep -E '^#[0-9]+[[:space:]]+DONE|^stat::' "$OUT/fuzz.log" || true
n=$(find "$OUT/artifacts" -type f | wc -l)
echo "corpus: $(find "$OUT/corpus" -type f | wc -l) files; artifacts (crashes/leaks/timeouts): $n"
echo "libFuzzer exit status: $rc (log: $OUT/fuzz.log)"
exit "$rc"
