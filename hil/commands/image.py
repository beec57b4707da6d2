"""``hil image``: signing keys, signed images, their verification and the bad-package variants.

hil image keygen --out KEY.pem [--seed LABEL | --harness signer|other|revoked|unknown]
hil image sign --platform P --key KEY.pem --build N --in app.bin --out app.img [...]
hil image tlvs --platform P --key KEY.pem --build N --in app.bin --out-dir DIR [...]
hil image verify IMG --platform P (--keyring FILE | --key PUB.pem) [...]
hil image show IMG [--json]
hil image variants
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable
from pathlib import Path

from hil.commands.base import EXIT_FAILED, EXIT_OK, add_app_size_arg, arguments, command, out
from hil.errors import HilError
from hil.image.builder import (
    SLOT_NAMES,
    image_for_spec,
    protected_tlvs,
    sized_payload,
    slot_size,
    spec_for_platform,
)
from hil.image.constants import IMG_TLV_INFO_MAGIC, IMG_TLV_KEYHASH, IMG_TLV_SEC_CNT
from hil.image.keyring import Keyring, dump_keyring, load_keyring
from hil.image.keys import (
    derive_key,
    generate_key,
    key_id,
    load_private_key,
    load_public_key,
    save_private_key,
    save_public_key,
)
from hil.image.parse import ParsedImage, describe_tlv, parse_image
from hil.image.variants import VARIANTS, VariantKeys, build_variant, make_context
from hil.image.verify import policy_for_platform, verify_image
from hil.platform import load_platform

SELF_TEST = {"pass": 0, "fail": 1, "hang": 2}
Action = Callable[[argparse.Namespace], int]


def _int(text: str) -> int:
    try:
        return int(text, 0)
    except ValueError:
        msg = f"expected a number (decimal or 0x hex), found {text!r}"
        raise argparse.ArgumentTypeError(msg) from None


def _slot(text: str) -> str:
    if text.upper() not in SLOT_NAMES:
        raise argparse.ArgumentTypeError(f"expected A or B, found {text!r}")
    return text.upper()


@arguments("image")
def _args(p: argparse.ArgumentParser) -> None:
    p.formatter_class = argparse.RawDescriptionHelpFormatter
    p.epilog = (
        "Format: contracts §7 (MCUboot header + protected manifest TLVs + SHA256/KEYHASH/"
        "ECDSA_SIG).\nRun 'hil image ACTION --help' for the options of each action."
    )
    sub = p.add_subparsers(dest="image_action", metavar="ACTION", required=True)

    def add(name: str, fn: Action, help_text: str) -> argparse.ArgumentParser:
        sp = sub.add_parser(name, help=help_text, description=help_text)
        sp.set_defaults(image_fn=fn)
        return sp

    k = add("keygen", _keygen, "create an ECDSA P-256 signing key (PEM), random or from a seed")
    k.add_argument(
        "--out",
        type=Path,
        required=True,
        metavar="KEY.pem",
        help="private key file to write (unencrypted PKCS#8 PEM)",
    )
    how = k.add_mutually_exclusive_group()
    how.add_argument(
        "--seed",
        metavar="LABEL",
        help="derive the key deterministically from LABEL (tests only: anyone "
        "knowing LABEL has the key)",
    )
    how.add_argument(
        "--harness",
        choices=HARNESS_KEYS,
        metavar="NAME",
        help="write one of the keys the emulated device is provisioned with: signer, other "
        "(allowed), revoked (on the revoke list), unknown (in no list); "
        "e.g. to sign with imgtool for the emulated device",
    )
    k.add_argument(
        "--public-out",
        type=Path,
        metavar="PUB.pem",
        help="also write the public key here (SubjectPublicKeyInfo PEM)",
    )
    k.add_argument("--force", action="store_true", help="overwrite existing files")

    t = add(
        "tlvs",
        _tlvs,
        "write this project's manifest TLVs as files for imgtool sign --custom-tlv-file",
    )
    t.add_argument("--platform", required=True, metavar="P", help="platform name, e.g. stm32u585")
    t.add_argument("--key", type=Path, required=True, metavar="KEY.pem", help="signing key")
    t.add_argument("--build", type=_int, required=True, metavar="N", help="build number (SEC_CNT)")
    t.add_argument(
        "--in", dest="input", type=Path, required=True, metavar="app.bin", help="application"
    )
    t.add_argument("--slot", type=_slot, default="A", help="target slot A or B (default A)")
    t.add_argument("--version", metavar="S", help="display version (VERSION TLV)")
    t.add_argument("--out-dir", type=Path, required=True, metavar="DIR", help="TLV files here")

    s = add("sign", _sign, "sign an application binary into an image for a platform's slot")
    s.add_argument("--platform", required=True, metavar="P", help="platform name, e.g. stm32u585")
    s.add_argument("--key", type=Path, required=True, metavar="KEY.pem", help="signing key")
    s.add_argument(
        "--build",
        type=_int,
        required=True,
        metavar="N",
        help="build number = security counter (SEC_CNT)",
    )
    s.add_argument(
        "--in",
        dest="input",
        type=Path,
        required=True,
        metavar="app.bin",
        help="application binary, linked at slot + image_header_size",
    )
    s.add_argument("--out", type=Path, required=True, metavar="app.img", help="image to write")
    s.add_argument("--slot", type=_slot, default="A", help="target slot A or B (default A)")
    add_app_size_arg(s)
    s.add_argument(
        "--hw-compat",
        type=_int,
        metavar="ID",
        help="hardware compatibility ID (default: zlib.crc32(platform name))",
    )
    s.add_argument(
        "--chunk-size",
        type=_int,
        default=4096,
        metavar="N",
        help="chunk size, a power of two in 512..65536 (default 4096)",
    )
    s.add_argument("--version", metavar="S", help="display version, 1..32 printable ASCII")
    s.add_argument(
        "--self-test",
        choices=sorted(SELF_TEST),
        default="pass",
        help="what the app's post-boot self-test does (default pass)",
    )
    s.add_argument(
        "--variant",
        metavar="NAME",
        help="write this bad-package variant instead (see 'hil image variants')",
    )
    s.add_argument(
        "--keyring-out",
        type=Path,
        metavar="FILE",
        help="with --variant: write the standard variant keyring (signer + other "
        "allowed, one revoked key) for 'hil image verify --keyring'",
    )

    v = add(
        "verify",
        _verify,
        "verify an image as the bootloader would; exit 0 if accepted, "
        "1 if refused (prints the result code and why)",
    )
    v.add_argument("image", type=Path, metavar="IMG")
    v.add_argument("--platform", required=True, metavar="P", help="platform name")
    who = v.add_mutually_exclusive_group(required=True)
    who.add_argument("--keyring", type=Path, metavar="FILE", help="keyring file (YAML)")
    who.add_argument(
        "--key", type=Path, metavar="PUB.pem", help="allow exactly this public (or private) key"
    )
    v.add_argument("--floor", type=_int, default=0, metavar="N", help="rollback floor (default 0)")
    v.add_argument(
        "--running-build",
        type=_int,
        metavar="N",
        help="build running now; the image must be newer (default: no check)",
    )
    v.add_argument(
        "--slot",
        type=_slot,
        default="A",
        help="slot being installed into (default A); the image must target it",
    )
    v.add_argument(
        "--hw-compat",
        type=_int,
        metavar="ID",
        help="device hardware ID (default: zlib.crc32(platform name))",
    )

    sh = add("show", _show, "print an image's header and TLVs (exit 1 if its structure is broken)")
    sh.add_argument("image", type=Path, metavar="IMG")
    sh.add_argument("--json", action="store_true", help="machine-readable JSON output")

    add(
        "variants",
        _variants,
        "list the named bad-package variants and the result each must be refused with",
    )


@command("image", "signing keys and signed images: keygen, sign, verify, show, variants")
def run(args: argparse.Namespace) -> int:
    fn: Action = args.image_fn
    return fn(args)


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise HilError(f"{path}: expected a readable file, found {exc.strerror}") from None


HARNESS_KEYS = ("signer", "other", "revoked", "unknown")  # the fields of VariantKeys


def _keygen(args: argparse.Namespace) -> int:
    for target in (args.out, args.public_out):
        if target is not None and target.exists() and not args.force:
            raise HilError(f"{target}: expected a new file, found an existing one (use --force)")
    if args.harness is not None:
        key = getattr(VariantKeys.standard(), args.harness)
        how = f"the harness's {args.harness!r} key, as the emulated device's anchor lists it"
    elif args.seed is not None:
        key = derive_key(args.seed)
        how = f"derived from seed {args.seed!r}"
    else:
        key = generate_key()
        how = "random"
    save_private_key(key, args.out)
    if args.public_out is not None:
        save_public_key(key, args.public_out)
    out(f"wrote {args.out}: ECDSA P-256 key ID 0x{key_id(key):08x} ({how})")
    return EXIT_OK


def _tlvs(args: argparse.Namespace) -> int:
    """The protected manifest TLVs (all but SEC_CNT, which imgtool writes from ``-s``), one
    file each, and the imgtool command that signs the same image as ``hil image sign``."""
    platform = load_platform(args.platform)
    key = load_private_key(args.key)
    spec = spec_for_platform(
        platform, _read(args.input), args.build, key, args.slot, version=args.version
    )
    args.out_dir.mkdir(parents=True, exist_ok=True)
    custom: list[str] = []
    for tag, value in protected_tlvs(spec):
        if tag == IMG_TLV_SEC_CNT:
            continue
        path = args.out_dir / f"tlv-0x{tag:02x}.bin"
        path.write_bytes(value)
        custom.append(f"--custom-tlv-file 0x{tag:02x} {path}")
    version = f"{args.version or '0.0.0'}+{args.build}"
    out(
        f"imgtool sign -k {args.key} --public-key-format hash "
        f"--header-size 0x{platform.layout.image_header_size:x} --pad-header --align 16 "
        f"--slot-size 0x{slot_size(platform, args.slot):x} -v {version} -s {args.build} "
        + " ".join(custom)
        + f" {args.input} IMAGE.bin"
    )
    return EXIT_OK


def _sign(args: argparse.Namespace) -> int:
    platform = load_platform(args.platform)
    key = load_private_key(args.key)
    payload = _read(args.input)
    if args.app_size is not None:
        payload = sized_payload(payload, args.app_size)
    spec = spec_for_platform(
        platform,
        payload,
        args.build,
        key,
        args.slot,
        hw_compat=args.hw_compat,
        chunk_size=args.chunk_size,
        version=args.version,
        self_test=SELF_TEST[args.self_test],
    )
    if args.variant is None:
        if args.keyring_out is not None:
            raise HilError("--keyring-out: expected together with --variant")
        image = image_for_spec(platform, spec)
        args.out.write_bytes(image)
        out(
            f"wrote {args.out}: {len(image)} bytes, build {args.build}, slot {args.slot}, "
            f"key ID 0x{key_id(key):08x}"
        )
        return EXIT_OK
    ctx = make_context(spec, slot_size(platform, args.slot))
    image = build_variant(args.variant, ctx)
    args.out.write_bytes(image)
    variant = VARIANTS[args.variant]
    pol = ctx.policy
    out(f"wrote {args.out}: variant {variant.name} ({variant.description}), {len(image)} bytes")
    out(
        f"must be refused with {variant.expected.name} under: --slot {args.slot} --floor "
        f"{pol.floor} --running-build {pol.running_build} --hw-compat 0x{pol.hw_compat:08x}"
    )
    if args.keyring_out is not None:
        args.keyring_out.write_text(dump_keyring(ctx.keyring), encoding="utf-8")
        out(f"wrote {args.keyring_out}: standard variant keyring")
    return EXIT_OK


def _verify(args: argparse.Namespace) -> int:
    platform = load_platform(args.platform)
    if args.keyring is not None:
        ring = load_keyring(args.keyring)
    else:
        ring = Keyring.of(allowed=[load_public_key(args.key)])
    policy = policy_for_platform(
        platform,
        args.slot,
        hw_compat=args.hw_compat,
        floor=args.floor,
        running_build=args.running_build,
    )
    verdict = verify_image(_read(args.image), keyring=ring, policy=policy)
    m = verdict.manifest
    if verdict.ok and m is not None and m.hash is not None:
        out(
            f"OK: {args.image}: build {m.build}, slot {SLOT_NAMES[m.slot]}, key ID "
            f"0x{m.key_id:08x}, hw 0x{m.hw_compat:08x}, hash {m.hash.hex()}"
        )
        return EXIT_OK
    out(
        f"REFUSED {verdict.result.name} ({verdict.result.value}, "
        f"error_code={verdict.result.error_code}): {args.image}: {verdict.detail}"
    )
    return EXIT_FAILED


def _show_json(parsed: ParsedImage) -> dict[str, object]:
    h = parsed.header
    doc: dict[str, object] = {"size": parsed.size, "problem": None}
    if parsed.problem is not None:
        doc["problem"] = {
            "result": parsed.problem.name,
            "code": int(parsed.problem),
            "detail": parsed.detail,
        }
    if h is not None:
        doc["header"] = {
            "magic": f"0x{h.magic:08x}",
            "load_addr": h.load_addr,
            "hdr_size": h.hdr_size,
            "protect_tlv_size": h.protect_tlv_size,
            "img_size": h.img_size,
            "flags": h.flags,
            "version": "{}.{}.{}".format(*h.version),
            "build_num": h.build_num,
        }
    areas = []
    for area in (parsed.protected, parsed.unprotected):
        if area is None:
            continue
        areas.append(
            {
                "area": area.name,
                "offset": area.offset,
                "tlv_tot": area.tot,
                "tlvs": [
                    {
                        "type": t.type,
                        "name": area.tlv_name(t),
                        "offset": t.offset,
                        "len": t.length,
                        "value": t.value.hex(),
                        "text": describe_tlv(area.magic, t),
                    }
                    for t in area.tlvs
                ],
            }
        )
    doc["areas"] = areas
    kh = parsed.find(IMG_TLV_INFO_MAGIC, IMG_TLV_KEYHASH)
    doc["keyhash_key_id"] = (
        f"0x{int.from_bytes(kh.value[:4], 'big'):08x}"
        if kh is not None and len(kh.value) >= 4
        else None
    )
    return doc


def _show(args: argparse.Namespace) -> int:
    parsed = parse_image(_read(args.image))
    if args.json:
        out(json.dumps(_show_json(parsed), indent=2))
        return EXIT_OK if parsed.problem is None else EXIT_FAILED
    out(f"{args.image}: {parsed.size} bytes")
    h = parsed.header
    if h is not None:
        out(
            f"header: magic 0x{h.magic:08x} hdr_size 0x{h.hdr_size:x} protect_tlv_size "
            f"0x{h.protect_tlv_size:x} img_size 0x{h.img_size:x} ({h.img_size}) flags "
            f"0x{h.flags:x} version {h.version[0]}.{h.version[1]}.{h.version[2]} build_num "
            f"{h.build_num} load_addr 0x{h.load_addr:x}"
        )
        out(f"signed region: [0, 0x{h.signed_end:x})")
    for area in (parsed.protected, parsed.unprotected):
        if area is None:
            continue
        out(f"{area.name} TLV area at 0x{area.offset:x}, tlv_tot {area.tot}:")
        for t in area.tlvs:
            out(
                f"  {area.tlv_name(t):<13} 0x{t.type:02x} len {t.length:<4} "
                f"{describe_tlv(area.magic, t)}"
            )
    if parsed.image_end is not None and parsed.size > parsed.image_end:
        out(
            f"trailing bytes after the image end 0x{parsed.image_end:x}: "
            f"{parsed.size - parsed.image_end}"
        )
    if parsed.problem is not None:
        out(f"STRUCTURE BROKEN: {parsed.problem.name}: {parsed.detail}")
        return EXIT_FAILED
    return EXIT_OK


def _variants(args: argparse.Namespace) -> int:
    out("Bad-package variants (hil image sign --variant NAME). Each must be refused with the")
    out("result shown under the standard test policy: slot and hardware ID as signed, floor =")
    out("running build = BUILD - 1 (BUILD >= 2), keyring = the signer and a second key allowed,")
    out("one key revoked (write it with sign --keyring-out).")
    width = max(len(n) for n in VARIANTS)
    for v in VARIANTS.values():
        out(f"  {v.name:<{width}}  {v.expected.name:<15} {v.description}")
    return EXIT_OK
