"""The monitor's one command layer: a line of text -> an action on a ``Session`` -> a reply.

``hil monitor`` (stdin, TCP, ``--script``) and the Robot library's ``Execute Command`` both call
``execute``; there is no second parser. A command never raises: bad input (an unknown command,
a wrong argument, an unknown name) and failures of the action become a one-line ``error: ...``
reply that says what was expected and lists what exists.

Arguments: positional words, then ``key=value`` options; numbers in decimal or ``0x`` hex.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from hil.engine.base import ResetCause, StopReason
from hil.errors import HilError
from hil.evidence import Event, Record
from hil.evidence.match import line_of
from hil.evidence.vocab import boot_settled, norm
from hil.faults import OpKind, Phase, Triggers
from hil.faults.plan import PHASE_EVENTS
from hil.monitor.session import RUN_MS, MonitorError, Session, Stop

Say = Callable[[str], None]


@dataclass(frozen=True)
class Reply:
    ok: bool
    text: str

    def __str__(self) -> str:
        return self.text


class Quit(Exception):  # noqa: N818 - a request, not an error
    """``quit``: the console ends the session."""


@dataclass(frozen=True)
class Args:
    words: list[str]
    opts: dict[str, str]
    repeated: dict[str, list[str]]

    def word(self, i: int, usage: str) -> str:
        if i >= len(self.words):
            raise MonitorError(f"expected {usage}")
        return self.words[i]

    def opt_int(self, key: str, default: int | None) -> int | None:
        if key not in self.opts:
            return default
        return number(self.opts[key], key)


def number(text: str, what: str) -> int:
    try:
        return int(text, 0)
    except ValueError:
        raise MonitorError(
            f"{what}: expected a number (decimal or 0x hex); found {text!r}"
        ) from None


def _parse(tokens: list[str]) -> Args:
    words: list[str] = []
    opts: dict[str, str] = {}
    repeated: dict[str, list[str]] = {}
    for t in tokens:
        key, eq, value = t.partition("=")
        if eq and re.fullmatch(r"[a-z_]+", key):
            opts[key] = value
            repeated.setdefault(key, []).append(value)
        else:
            words.append(t)
    return Args(words, opts, repeated)


def _check_opts(args: Args, allowed: tuple[str, ...], cmd: str) -> None:
    if "*" in allowed:  # the command takes any key=value (event fields) and checks them
        return
    extra = [k for k in args.opts if k not in allowed]
    if extra:
        known = ", ".join(f"{k}=" for k in allowed) or "none"
        raise MonitorError(f"unknown option {extra[0]}=; options: {known}")


def _choice(value: str, choices: list[str], what: str) -> str:
    if value not in choices:
        raise MonitorError(f"unknown {what} {value!r}; known: {', '.join(choices)}")
    return value


# -- commands ----------------------------------------------------------------------------------
Handler = Callable[[Session, Args, Say], str]


@dataclass(frozen=True)
class Command:
    name: str
    usage: str
    help: str
    handler: Handler
    records: bool = True  # acts on the device: kept in the session's record
    options: tuple[str, ...] = ()


COMMANDS: dict[str, Command] = {}


def _command(
    name: str, usage: str, help_text: str, *, records: bool = True, options: tuple[str, ...] = ()
) -> Callable[[Handler], Handler]:
    def deco(fn: Handler) -> Handler:
        COMMANDS[name] = Command(name, usage, help_text, fn, records, options)
        return fn

    return deco


@_command("help", "help [command]", "list the commands, or show one command's usage", records=False)
def _help(s: Session, a: Args, say: Say) -> str:
    if a.words:
        c = COMMANDS.get(a.words[0])
        if c is None:
            raise MonitorError(
                f"help: unknown command {a.words[0]!r}; commands: {', '.join(COMMANDS)}"
            )
        return f"{c.usage}\n  {c.help}"
    return "\n".join(f"{c.usage}\n    {c.help}" for c in COMMANDS.values())


@_command(
    "load",
    "load <platform> [build=N] [floor=N] [define=FLAG[=V]]... [profile=FILE]",
    "build the firmware, provision a factory target (build N confirmed in slot A); off",
    options=("build", "floor", "define", "profile"),
)
def _load(s: Session, a: Args, say: Say) -> str:
    from hil.platform import known_platforms

    name = a.word(0, f"load <platform>; platforms: {', '.join(known_platforms(layouts=True))}")
    defines: dict[str, int] = {}
    for d in a.repeated.get("define", []):
        flag, eq, val = d.partition("=")
        if not re.fullmatch(r"[A-Z][A-Z0-9_]*", flag):
            raise MonitorError(f"load: define=FLAG[=V] with FLAG like MUT_SKIP_SIG; found {d!r}")
        defines[flag] = number(val, f"define {flag}") if eq else 1
    t = s.load(
        name,
        build=a.opt_int("build", 1) or 1,
        floor=a.opt_int("floor", 0) or 0,
        defines=defines,
        profile=a.opts.get("profile"),
    )
    flags = "".join(f" {k}={v}" for k, v in sorted(t.defines.items()))
    return f"loaded {t.platform.name} (factory build {t.build}, floor {t.floor}{flags}); power off"


@_command("power", "power on|off", "switch the supply on or off")
def _power(s: Session, a: Args, say: Say) -> str:
    how = _choice(a.word(0, "power on|off"), ["on", "off"], "power state")
    if how == "on":
        s.power_on()
    else:
        s.power_off()
    return f"power {how}"


_CAUSES = [c.value for c in ResetCause if c not in (ResetCause.POWER_ON, ResetCause.LOCKUP)]


@_command("reset", "reset [pin|software|watchdog|brownout]", "a warm reset with that cause")
def _reset(s: Session, a: Args, say: Say) -> str:
    cause = _choice(a.words[0] if a.words else "pin", _CAUSES, "reset cause")
    s.reset(ResetCause(cause))
    return f"reset ({cause})"


def _point(a: Args, i: int, cmd: str) -> dict[str, object]:
    """``op N`` | ``phase P`` | ``symbol S`` (+ options) as a fault plan's point."""
    usage = f"{cmd} at op <n>|phase <phase>|symbol <name>"
    kind = _choice(a.word(i, usage), ["op", "phase", "symbol"], "point kind")
    value = a.word(i + 1, usage)
    if kind == "op":
        point: dict[str, object] = {"flash_op": number(value, "op")}
        if "op_kind" in a.opts:
            point["op_kind"] = a.opts["op_kind"]
    elif kind == "phase":
        point = {"phase": _choice(value, [p.value for p in Phase], "phase")}
        for k in ("offset", "occurrence"):
            if k in a.opts:
                point[k] = number(a.opts[k], k)
    else:
        point = {"symbol": value}
        if "hit" in a.opts:
            point["hit"] = number(a.opts["hit"], "hit")
    return point


@_command(
    "brownout",
    "brownout [at op|phase|symbol ...] [holdup_us=N] [supply_mv=N]",
    "drop the supply to the reset threshold now (or arm it at a point); reset after hold-up",
    options=("holdup_us", "supply_mv", "op_kind", "offset", "occurrence", "hit"),
)
def _brownout(s: Session, a: Args, say: Say) -> str:
    holdup, mv = a.opt_int("holdup_us", None), a.opt_int("supply_mv", None)
    if not a.words:
        return s.brownout(holdup, mv)
    if a.words[0] != "at":
        raise MonitorError(f"brownout: expected nothing or 'at <point>'; found {a.words[0]!r}")
    fault: dict[str, object] = {"kind": "brownout", "at": _point(a, 1, "brownout")}
    if holdup is not None:
        fault["holdup_us"] = holdup
    if mv is not None:
        fault["supply_mv"] = mv
    return s.arm(fault, "monitor brownout " + " ".join(a.words[1:]))


@_command(
    "cut",
    "cut [at op <n>|phase <phase>|symbol <name>] [op_kind=K] [tear=T] [offset=N] "
    "[occurrence=N] [hit=N]",
    "cut the power now, or arm a cut at a flash operation (counted from now), phase or symbol",
    options=("op_kind", "tear", "offset", "occurrence", "hit"),
)
def _cut(s: Session, a: Args, say: Say) -> str:
    if not a.words:
        s.cut_now()
        return "power cut"
    if a.words[0] != "at":
        raise MonitorError(f"cut: expected nothing or 'at <point>'; found {a.words[0]!r}")
    point = _point(a, 1, "cut")
    if "flash_op" in point:
        fault: dict[str, object] = {"kind": "flash_op_cut", "op": point["flash_op"]}
        for k in ("op_kind", "tear"):
            if k in a.opts:
                fault[k] = a.opts[k]
    elif "phase" in point:
        fault = {"kind": "phase_cut", **point}
    else:
        fault = {"kind": "symbol_cut", **point}
    return s.arm(fault, "monitor cut " + " ".join(a.words[1:]))


@_command("fired", "fired", "the faults that fired, and armed ones that did not yet", records=False)
def _fired(s: Session, a: Args, say: Say) -> str:
    lines = [f"fired: {f.kind} at {f.where} (instruction {f.instructions})" for f in s.fired()]
    lines += [f"not fired: {m}" for m in s.armed_not_fired()]
    return "\n".join(lines) or "nothing armed"


@_command(
    "upload",
    "upload <build> [slot=A|B] [variant=V] [key=K] [self_test=N] [reset=yes|no]",
    "sign a package (or a bad-package variant) and queue its SMP upload for the next run",
    options=("slot", "variant", "key", "self_test", "reset"),
)
def _upload(s: Session, a: Args, say: Say) -> str:
    build = number(a.word(0, "upload <build>"), "build")
    reset = _choice(a.opts.get("reset", "yes"), ["yes", "no"], "reset choice") == "yes"
    return s.upload(
        build,
        slot=a.opts.get("slot"),
        variant=a.opts.get("variant"),
        key=a.opts.get("key", "signer"),
        self_test=a.opt_int("self_test", 0) or 0,
        reset=reset,
    )


# -- run ---------------------------------------------------------------------------------------
def event_match(words: list[str], opts: dict[str, str]) -> tuple[Callable[[Record], bool], str]:
    name = words[0]
    values = [norm(w) for w in words[1:]]
    fields = {k: norm(v) for k, v in opts.items()}

    def match(rec: Record) -> bool:
        if not isinstance(rec, Event) or rec.name != name:
            return False
        if any(norm(rec.get(k)) != v for k, v in fields.items()):
            return False
        have = {norm(v) for _, v in rec.fields}
        return all(v in have for v in values)

    extra = " ".join([*words[1:], *(f"{k}={v}" for k, v in opts.items())])
    return match, f"event {name}{' ' + extra if extra else ''}"


def _describe(rec: Record | None) -> str:
    if rec is None:
        return ""
    return (line_of(rec) or repr(rec)).strip()


def _stop_text(stop: Stop, what: str, s: Session) -> str:
    lines = [f"note: {n}" for n in stop.notes]
    t_ms = s.device.engine.instructions_to_us(s.device.engine.ticks) // 1000
    if stop.reason is StopReason.CONDITION:
        hit = _describe(stop.record)
        lines.append(f"stopped at {what}" + (f": {hit}" if hit else "") + f" (t={t_ms} ms)")
    elif stop.reason is StopReason.BUDGET:
        lines.append(f"ran out of budget before {what} (t={t_ms} ms)")
    elif stop.reason is StopReason.POWERED_OFF:
        lines.append(f"the power went off before {what} (t={t_ms} ms)")
    elif stop.reason is StopReason.LOCKUP:
        lines.append(f"the core locked up before {what} (t={t_ms} ms)")
    else:
        lines.append(f"paused (t={t_ms} ms)")
    return "\n".join(lines)


_UNTIL = "outcome | boot | phase <phase> | op <n> [op_kind=K] | line <regex> | <EVENT> [v] [k=v]"


@_command(
    "run",
    "run for <ms> | run until <what> [within=<ms>]",
    f"run the target (and a queued upload) for virtual time, or until: {_UNTIL}",
    options=("*",),  # within=, op_kind=, occurrence=, and an event's fields
)
def _run(s: Session, a: Args, say: Say) -> str:
    mode = _choice(a.word(0, "run for <ms> | run until <what>"), ["for", "until"], "run mode")
    if mode == "for":
        ms = number(a.word(1, "run for <ms>"), "ms")
        if ms <= 0:
            raise MonitorError(f"run for: expected a positive number of ms; found {ms}")
        stop = s.run(None, ms)
        if stop.reason is StopReason.BUDGET:
            t_ms = s.device.engine.instructions_to_us(s.device.engine.ticks) // 1000
            return "\n".join([*(f"note: {n}" for n in stop.notes), f"ran {ms} ms (t={t_ms} ms)"])
        return _stop_text(stop, f"the end of {ms} ms", s)
    budget = a.opt_int("within", RUN_MS) or RUN_MS
    if budget <= 0:
        raise MonitorError(f"run until: expected within=<positive ms>; found {budget}")
    what = a.word(1, f"run until <what>: {_UNTIL}")
    own = {"phase": ("within", "occurrence"), "op": ("within", "op_kind")}
    if not re.fullmatch(r"[A-Z][A-Z0-9_]{0,31}", what):
        _check_opts(a, own.get(what, ("within",)), "run")
    rest = a.words[2:]
    fields = {k: v for k, v in a.opts.items() if k not in ("within",)}
    if what == "outcome":
        ended, found = s.outcome_match()
        since = s.outcome_mark
        earlier = [] if s.job else [r for r in s.device.records[since:] if ended(r)]
        if earlier:
            return f"outcome: {found[0]} ({_describe(earlier[0])})"
        stop = s.run(ended, budget, "the outcome")
        text = _stop_text(stop, "the outcome", s)
        return text + (f"\noutcome: {found[0]}" if found else "")
    if what == "boot":
        stop = s.run(lambda r: isinstance(r, Event) and boot_settled(r), budget, "a boot")
        return _stop_text(stop, "an application BOOT or RESCUE", s)
    if what == "phase":
        phase = _choice(a.word(2, "run until phase <phase>"), [p.value for p in Phase], "phase")
        name, req = PHASE_EVENTS[Phase(phase)]
        occurrence = a.opt_int("occurrence", 1) or 1
        seen = [0]

        def at_phase(rec: Record) -> bool:
            if isinstance(rec, Event) and rec.name == name and all(rec.get(k) == v for k, v in req):
                seen[0] += 1
                return seen[0] >= occurrence
            return False

        return _stop_text(s.run(at_phase, budget, f"phase {phase}"), f"phase {phase}", s)
    if what == "op":
        n = number(a.word(2, "run until op <n>"), "op")
        kind = OpKind(_choice(a.opts.get("op_kind", "any"), [k.value for k in OpKind], "op_kind"))
        trig = Triggers(s.device.engine)

        def at_op(hit: object) -> object:
            from hil.engine.base import FlashOpAction

            s.stop_here(getattr(hit, "where", "flash op"))
            return FlashOpAction.CONTINUE

        trig.at_flash_op(n, kind, at_op)  # type: ignore[arg-type]
        stop = s.run(None, budget, f"flash op {n}")
        trig.disarm()
        return _stop_text(stop, f"flash op {n} ({kind.value}, counted from now)", s)
    if what == "line":
        pattern = " ".join(rest)
        try:
            rx = re.compile(pattern)
        except re.error as exc:
            raise MonitorError(f"run until line: expected a regex; {exc}") from None
        stop = s.run(rx, budget, f"a line matching {pattern!r}")
        return _stop_text(stop, f"a line matching {pattern!r}", s)
    if not re.fullmatch(r"[A-Z][A-Z0-9_]{0,31}", what):
        raise MonitorError(f"run until: expected {_UNTIL}; found {what!r}")
    match, desc = event_match([what, *rest], fields)
    return _stop_text(s.run(match, budget, desc), desc, s)


@_command("pause", "pause", "stop a running run command (from another connection or Ctrl-C)")
def _pause(s: Session, a: Args, say: Say) -> str:
    s.request_pause()
    return "paused"


# -- evidence -----------------------------------------------------------------------------------
@_command("events", "events [n]", "the last n decoded evidence events (default 10)", records=False)
def _events(s: Session, a: Args, say: Say) -> str:
    n = number(a.words[0], "n") if a.words else 10
    evs = s.device.events[-n:] if n > 0 else []
    return "\n".join(e.raw.strip() for e in evs) or "(no events yet)"


@_command("tail", "tail [n]", "the last n console lines (default 15)", records=False)
def _tail(s: Session, a: Args, say: Say) -> str:
    n = number(a.words[0], "n") if a.words else 15
    return s.device.tail(n) or "(no console output yet)"


@_command("slots", "slots", "the slot state from the device's evidence", records=False)
def _slots(s: Session, a: Args, say: Say) -> str:
    return s.device.summary().describe()


@_command("status", "status", "target, power, virtual time, queued upload", records=False)
def _status(s: Session, a: Args, say: Say) -> str:
    if s.target is None:
        return "no target loaded"
    dev = s.device
    t_ms = dev.engine.instructions_to_us(dev.engine.ticks) // 1000
    job = f"; queued upload: {s.job.describe}" if s.job else ""
    return (
        f"{s.target.platform.name}: power {'on' if dev.engine.powered else 'off'}, "
        f"device {dev.state.value}, t={t_ms} ms, pc 0x{dev.engine.pc:08x}{job}"
    )


# -- flash and snapshots -------------------------------------------------------------------------
def _hexdump(base: int, data: bytes) -> str:
    rows = []
    for off in range(0, len(data), 16):
        chunk = data[off : off + 16]
        rows.append(f"{base + off:08x}  {chunk.hex(' ')}")
    return "\n".join(rows)


def _flash_diff(s: Session, name: str) -> str:
    base, size = s.area("flash")
    old = s.snapshot_bytes(name)
    new = s.flash_read(base, size)
    if old == new:
        return f"flash identical to snapshot {name}"
    page = s.device.platform.flash.page_size
    lines = []
    for off in range(0, size, page):
        a, b = old[off : off + page], new[off : off + page]
        if a != b:
            n = sum(1 for x, y in zip(a, b, strict=True) if x != y)
            first = next(i for i in range(page) if a[i] != b[i])
            lines.append(f"page 0x{base + off:08x}: {n} bytes differ (first at +0x{first:x})")
    return f"{len(lines)} page(s) differ from snapshot {name}\n" + "\n".join(lines)


@_command(
    "flash",
    "flash dump <area|addr> [len] | flash diff <snapshot> | flash save <file> | flash load <file>",
    "dump cells, diff against a snapshot, save/load the flash (torn/ECC state included)",
)
def _flash(s: Session, a: Args, say: Say) -> str:
    usage = "flash dump|diff|save|load ..."
    op = _choice(a.word(0, usage), ["dump", "diff", "save", "load"], "flash command")
    arg = a.word(1, f"flash {op} <{'file' if op in ('save', 'load') else 'name'}>")
    if op == "dump":
        if arg.startswith("0x") or arg[:1].isdigit():
            addr, size = number(arg, "address"), 64
        else:
            addr, size = s.area(arg)
            size = min(size, 256)
        if len(a.words) > 2:
            size = number(a.words[2], "len")
        return _hexdump(addr, s.flash_read(addr, min(size, 4096)))
    if op == "diff":
        return _flash_diff(s, arg)
    if op == "save":
        n = s.flash_save(Path(arg))
        return f"saved the flash ({n} bytes) to {arg}"
    s.flash_load(Path(arg))
    return f"loaded the flash from {arg}"


@_command(
    "snapshot",
    "snapshot save <name> | snapshot restore <name> | snapshot list",
    "keep the flash (torn/ECC state included) under a name, or put it back",
)
def _snapshot(s: Session, a: Args, say: Say) -> str:
    op = _choice(a.word(0, "snapshot save|restore|list"), ["save", "restore", "list"], "snapshot")
    if op == "list":
        return ", ".join(s.snapshots) or "(no snapshots)"
    name = a.word(1, f"snapshot {op} <name>")
    if op == "save":
        s.snapshot_save(name)
        return f"snapshot {name} saved"
    s.snapshot_restore(name)
    return f"snapshot {name} restored"


# -- debugger and records --------------------------------------------------------------------
@_command("gdb", "gdb [port]", "serve GDB on 127.0.0.1:port (0: any) until it detaches")
def _gdb(s: Session, a: Args, say: Say) -> str:
    port = number(a.words[0], "port") if a.words else 0

    def listening(p: int) -> None:
        say(f"gdb server on 127.0.0.1:{p} (gdb-multiarch -ex 'target remote :{p}')")

    return s.gdb(port, listening)


@_command(
    "record",
    "record save <file>",
    "save the session as a replay record (hil replay reproduces it byte for byte)",
    records=False,
)
def _record(s: Session, a: Args, say: Say) -> str:
    from hil.monitor.record import save_session

    _choice(a.word(0, "record save <file>"), ["save"], "record command")
    path = Path(a.word(1, "record save <file>"))
    rec = save_session(s, path)
    return f"record {rec.case_id} written to {path} (sha256 {rec.digest})"


@_command("quit", "quit", "end the session", records=False)
def _quit(s: Session, a: Args, say: Say) -> str:
    raise Quit


# -- the entry point ---------------------------------------------------------------------------
def execute(session: Session, line: str, say: Say | None = None) -> Reply:
    """Run one command line; never raises (except ``Quit``). Blank lines and ``#`` comments
    do nothing."""
    text = line.strip()
    if not text or text.startswith("#"):
        return Reply(True, "")
    try:
        tokens = shlex.split(text)
    except ValueError as exc:
        return Reply(False, f"error: cannot parse {text!r}: {exc}")
    name = tokens[0]
    cmd = COMMANDS.get(name)
    if cmd is None:
        return Reply(False, f"error: unknown command {name!r}; commands: {', '.join(COMMANDS)}")
    args = _parse(tokens[1:])
    try:
        _check_opts(args, cmd.options, name)
        reply = cmd.handler(session, args, say or (lambda _t: None))
    except Quit:
        raise
    except MonitorError as exc:
        return Reply(False, f"error: {name}: {_one_line(str(exc))}; usage: {cmd.usage}")
    except HilError as exc:
        return Reply(False, f"error: {name}: {_one_line(str(exc))}")
    except (ValueError, OSError) as exc:
        return Reply(False, f"error: {name}: {_one_line(str(exc))}; usage: {cmd.usage}")
    except Exception as exc:  # the monitor never dies on a command: report it in one line
        detail = _one_line(f"{type(exc).__name__}: {exc}")
        return Reply(False, f"error: {name}: internal error ({detail}); usage: {cmd.usage}")
    if cmd.records:
        session.recorded.append(text)
    return Reply(True, reply)


def _one_line(text: str) -> str:
    first, _, rest = text.partition("\n")
    return first + (" (...)" if rest.strip() else "")


__all__ = ["COMMANDS", "Command", "Quit", "Reply", "execute"]
