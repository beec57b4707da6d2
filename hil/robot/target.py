"""Target and power keywords: load a platform, power, resets with a cause, brownout, and the
monitor's own ``Execute Command`` (Renode's name and argument order)."""

from __future__ import annotations

from robot.api.deco import keyword

from hil.robot._base import RobotFailure, SessionHolder


class TargetKeywords(SessionHolder):
    @keyword("Execute Command")
    def execute_command(self, command: str, machine: str | None = None) -> str:
        """Send one monitor command (``hil monitor``'s language, ``help`` lists it) and return
        its reply; an ``error:`` reply fails the keyword with that line.

        | Execute Command | load stm32u585 |
        | ${reply}= | Execute Command | run until PHASE meta_commit |

        ``machine``: Renode's argument; there is one target per session (``target``).
        """
        if machine not in (None, "", "target"):
            raise RobotFailure(f"unknown machine {machine!r}; known: target")
        return self._command(command)

    @keyword("Load Platform")
    def load_platform(self, platform: str, build: int = 1, floor: int = 0, *defines: str) -> str:
        """Build the firmware (optionally with mutation flags such as ``MUT_SKIP_SIG``) and
        provision a factory target: ``build`` confirmed in slot A, anchor ``floor``; off."""
        flags = "".join(f" define={d}" for d in defines)
        return self._command(f"load {platform} build={int(build)} floor={int(floor)}{flags}")

    @keyword("Start Emulation")
    def start_emulation(self) -> str:
        """Power the target on (Renode's name): it boots when it runs."""
        return self._command("power on")

    @keyword("Power On")
    def power_on(self) -> str:
        """Switch the supply on (the target boots as it runs)."""
        return self._command("power on")

    @keyword("Power Off")
    def power_off(self) -> str:
        """Switch the supply off (a clean power-off between two instructions)."""
        return self._command("power off")

    @keyword("Reset Target")
    def reset_target(self, cause: str = "pin") -> str:
        """A warm reset with ``cause``: pin, software, watchdog or brownout."""
        return self._command(f"reset {cause}")

    @keyword("Brownout")
    def brownout(self, holdup_us: int | None = None) -> str:
        """Drop the supply to the reset threshold now; the brownout reset follows the hold-up
        (the platform's when not given)."""
        extra = "" if holdup_us is None else f" holdup_us={int(holdup_us)}"
        return self._command(f"brownout{extra}")
