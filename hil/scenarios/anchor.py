"""Trust-anchor changes between boots (issue 10, class "anchor"): a new image is installed
(PENDING, not yet booted), the power goes off, the factory re-provisions the trust anchor
(``hil.provision.reprovision_anchor``: the write-protected anchor area rewritten as a
production line would), and the power comes back. The bootloader must refuse the pending image
on the new anchor:

  floor-raised   anchor floor 3 above the pending build 2 (the confirmed build 1 too)
  key-revoked    the key that signed the pending image (``other``) revoked after the install
  hw-id          the anchor's hardware ID changed: no image carries it any more

Judged by ``hil.matrix.predicates_rest.refused_after_change``.
"""

from __future__ import annotations

from typing import Any

from hil.errors import HilError
from hil.image.keyring import KeyEntry, Keyring
from hil.provision import harness_keys, reprovision_anchor
from hil.scenarios.bench import Bench, ScenarioRun
from hil.scenarios.steps import fresh, package, settle_boot, target
from hil.update import update_client

CHANGES = ("floor-raised", "key-revoked", "hw-id")


def anchor_change(b: Bench, run: ScenarioRun, change: str = "floor-raised", **_: Any) -> None:
    if change not in CHANGES:
        raise HilError(f"anchor change: expected one of {', '.join(CHANGES)}, found {change!r}")
    dev = run.device = fresh(b)
    key = "other" if change == "key-revoked" else None
    pkg = package(b, 2, target(dev), **({"key": key} if key else {}))
    res = update_client(dev).update(pkg, budget_ms=b.update_ms, reset=False)
    if not res.pending:
        raise HilError(f"anchor change: build 2 did not become PENDING: {res.upload.error}")
    dev.power_off()
    ks = harness_keys()
    if change == "floor-raised":
        reprovision_anchor(dev.engine, b.platform, floor=3)
    elif change == "key-revoked":
        ring = Keyring(
            [
                KeyEntry("signer", ks.signer.public_key()),
                KeyEntry("other", ks.other.public_key(), allowed=False, revoked=True),
                KeyEntry("revoked", ks.revoked.public_key(), allowed=False, revoked=True),
            ]
        )
        reprovision_anchor(dev.engine, b.platform, keyring=ring)
    else:
        reprovision_anchor(dev.engine, b.platform, hw_compat=0x0BADC0DE)
    run.notes.append(f"factory step at rest: trust anchor re-provisioned ({change})")
    dev.power_on()
    settle_boot(b, dev)
