"""Update and fault keywords: upload a signed package (or a bad-package variant) over SMP,
expect an outcome, arm a cut at a phase or flash operation, check that it fired."""

from __future__ import annotations

from robot.api.deco import keyword

from hil.robot._base import RobotFailure, SessionHolder


class UpdateKeywords(SessionHolder):
    @keyword("Upload Package")
    def upload_package(
        self, build: int, variant: str | None = None, key: str = "signer", self_test: int = 0
    ) -> str:
        """Sign build ``build`` for the inactive slot (a bad-package ``variant`` if given) and
        queue its SMP upload; the next run drives it (upload, test mark, reset)."""
        extra = f" variant={variant}" if variant else ""
        return self._command(f"upload {int(build)} key={key} self_test={int(self_test)}{extra}")

    @keyword("Update Should End With")
    def update_should_end_with(self, outcome: str, timeout: str = "90") -> str:
        """Run until the update (or the recovery) ends; its outcome, from the device's evidence,
        must be ``outcome`` (CONFIRMED, ROLLBACK, RESCUE, RUNNING)."""
        reply = self._command(f"run until outcome within={int(float(timeout) * 1000)}")
        got = reply.rsplit("outcome: ", 1)[-1].split()[0] if "outcome: " in reply else "none"
        if got != outcome:
            raise RobotFailure(f"expected outcome {outcome}, evidence says {got}: {reply}")
        return got


class FaultKeywords(SessionHolder):
    @keyword("Cut Power")
    def cut_power(self) -> str:
        """Cut the power now, between two instructions (the monitor's ``cut``)."""
        return self._command("cut")

    @keyword("Arm Cut At Phase")
    def arm_cut_at_phase(self, phase: str, offset: int = 0, occurrence: int = 1) -> str:
        """Cut the power when the device reports ``phase`` (+``offset`` instructions)."""
        return self._command(
            f"cut at phase {phase} offset={int(offset)} occurrence={int(occurrence)}"
        )

    @keyword("Arm Cut At Flash Op")
    def arm_cut_at_flash_op(self, op: int, op_kind: str = "any", tear: str | None = None) -> str:
        """Cut inside flash operation ``op`` (counted from now) of ``op_kind``."""
        extra = f" tear={tear}" if tear else ""
        return self._command(f"cut at op {int(op)} op_kind={op_kind}{extra}")

    @keyword("Fault Should Have Fired")
    def fault_should_have_fired(self) -> str:
        """Every armed fault fired (the trigger layer's proof); returns where."""
        text = self._command("fired")
        if "not fired" in text or text == "nothing armed":
            raise RobotFailure(f"an armed fault did not fire: {text}")
        return text
