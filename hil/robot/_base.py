"""What the keyword classes share: the monitor session they all act on (through the one
command layer, ``hil.monitor.commands.execute``) and Robot-side argument conversion."""

from __future__ import annotations

from robot.api import logger

from hil.monitor import Session, execute


class RobotFailure(AssertionError):
    """A keyword failed: Robot shows the message as the test's failure."""

    ROBOT_SUPPRESS_NAME = True


class SessionHolder:
    """The session the keywords of one library instance share (one per test suite)."""

    _session: Session | None = None
    default_timeout_ms: int = 60_000

    @property
    def session(self) -> Session:
        if self._session is None:
            self._session = Session()
        return self._session

    def _reset_session(self) -> None:
        if self._session is not None:
            self._session.close()
        self._session = None

    def _command(self, line: str) -> str:
        """Run a monitor command; an ``error:`` reply fails the keyword with that one line."""
        reply = execute(self.session, line, logger.info)
        if reply.text:
            logger.info(reply.text)
        if not reply.ok:
            raise RobotFailure(reply.text)
        return reply.text


def timeout_ms(value: str | int | float | None, default: int) -> int:
    """Robot-style timeouts: a number of seconds (``5``, ``0.5``) or ``500 ms`` / ``5 s``."""
    if value is None or value == "":
        return default
    if isinstance(value, int | float):
        return int(float(value) * 1000)
    text = str(value).strip().lower().replace(" ", "")
    try:
        if text.endswith("ms"):
            return int(float(text[:-2]))
        return int(float(text.removesuffix("s")) * 1000)
    except ValueError:
        raise RobotFailure(
            f"expected a timeout in seconds (e.g. 5, 0.5, 500 ms); found {value!r}"
        ) from None
