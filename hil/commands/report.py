"""``hil report``: render the Allure results of a ``hil matrix`` run into an Allure report, and
serve it for a browser."""

from __future__ import annotations

import argparse
import collections
import os
import shutil
import signal
import socket
import subprocess
import sys
from pathlib import Path

from hil.commands.base import (
    EXIT_BAD_INPUT,
    EXIT_FAILED,
    EXIT_INTERNAL,
    EXIT_OK,
    arguments,
    command,
    err,
    out,
)
from hil.report.allure_cli import (
    REPORT_DIRNAME,
    SETUP_COMMAND,
    find_allure,
    generate,
    read_test_results,
    serve,
)
from hil.report.allure_results import RESULTS_DIRNAME

HELP = "render DIR/allure-results (from hil matrix) into an Allure report; --open serves it"

EPILOG = f"""\
DIR is a report directory written by `hil matrix --report DIR`. Its allure-results/ folder is
rendered with the Allure report generator (npm package allure 3.x, installed into .tools/allure
by `{SETUP_COMMAND}`) into DIR/{REPORT_DIRNAME}/, replacing an earlier
rendering. The report loads its data over HTTP, so view it served, not as a file:

  hil matrix --report reports/matrix      # run the matrix, write reports/matrix/allure-results
  hil report reports/matrix               # render reports/matrix/allure-report
  hil report reports/matrix --open        # render, then serve it until Ctrl-C

With --open the report is served on localhost (--port, default: a free port) and the URL is
printed; a browser is opened when there is a display, otherwise open the URL yourself (from
another machine: ssh -L PORT:localhost:PORT).

With --merge SHARD... the report dirs of the shards of one sweep (`hil sweep --shard K/N
--report SHARD`) are joined into DIR as the unsplit sweep would have written it (exit 0 when
it passes, 1 when not, 2 for shards that do not belong together).

Exit codes: 0 rendered (and, with --open, served until Ctrl-C); 2 bad input or environment
(DIR missing, no allure-results in it, Allure not installed); 3 the generator failed."""


@arguments("report")
def _args(p: argparse.ArgumentParser) -> None:
    p.formatter_class = argparse.RawDescriptionHelpFormatter
    p.epilog = EPILOG
    p.add_argument("dir", type=Path, metavar="DIR", help="report directory of `hil matrix`")
    p.add_argument(
        "--merge",
        type=Path,
        nargs="+",
        default=None,
        metavar="SHARD",
        help="join the --report dirs of `hil sweep --shard K/N` runs into DIR (the result of "
        "one unsplit sweep: summary.json, points.jsonl, failures/)",
    )
    p.add_argument("--open", action="store_true", help="serve the report and print its URL")
    p.add_argument(
        "--port", type=int, default=None, metavar="N", help="port for --open (default: free)"
    )
    p.add_argument(
        "--name", default="OTA compliance", help="report title (default: OTA compliance)"
    )


def _listing(d: Path) -> str:
    names = sorted(p.name + ("/" if p.is_dir() else "") for p in d.iterdir())
    if not names:
        return "it is empty"
    shown = ", ".join(names[:12]) + (f", ... ({len(names)} entries)" if len(names) > 12 else "")
    return f"it holds {shown}"


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def _headless() -> bool:
    if sys.platform in ("darwin", "win32"):
        return False
    return not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


def _check_input(d: Path) -> str | None:
    """What is wrong with ``d`` as a report directory, or None."""
    expected = (
        f"expected a report directory of `hil matrix --report {d}` holding {RESULTS_DIRNAME}/"
    )
    if not d.exists():
        return f"{d}: no such directory; {expected}"
    if not d.is_dir():
        return f"{d}: not a directory; {expected}"
    results = d / RESULTS_DIRNAME
    if not results.is_dir():
        return f"{d}: no {RESULTS_DIRNAME}/ in it ({_listing(d)}); {expected}"
    if not any(results.glob("*-result.json")):
        return (
            f"{results}: no Allure results (*-result.json) in it ({_listing(results)}); "
            f"run `hil matrix --report {d}` first"
        )
    output = d / REPORT_DIRNAME
    if output.exists() and not (
        output.is_dir() and ((output / "index.html").is_file() or not any(output.iterdir()))
    ):
        return f"{output}: exists and is not an Allure report; move it away first"
    return None


@command("report", HELP)
def run(args: argparse.Namespace) -> int:
    d: Path = args.dir
    if args.merge is not None:
        return _merge(d, args.merge)
    problem = _check_input(d)
    if problem is not None:
        err(f"hil report: {problem}")
        return EXIT_BAD_INPUT
    find_allure()  # not installed: a HilError naming the path and the setup command (exit 2)
    results = d / RESULTS_DIRNAME
    output = d / REPORT_DIRNAME
    if output.exists():
        shutil.rmtree(output)
    n_results = sum(1 for _ in results.glob("*-result.json"))
    err(f"hil report: rendering {n_results} result(s) from {results} ...")
    proc = generate(results, output, name=args.name)
    index = output / "index.html"
    if proc.returncode != 0 or not index.is_file():
        err(proc.stdout.rstrip())
        err(f"hil report: allure generate failed (exit code {proc.returncode}); no {index}")
        return EXIT_INTERNAL
    statuses = collections.Counter(str(r.get("status")) for r in read_test_results(output))
    counts = ", ".join(f"{n} {s}" for s, n in sorted(statuses.items()))
    out(f"allure report: {index} ({sum(statuses.values())} test results: {counts or 'none'})")
    if not args.open:
        out(f"view it: hil report {d} --open   (it loads its data over HTTP: serve it)")
        return EXIT_OK

    port = args.port if args.port is not None else _free_port()
    url = f"http://localhost:{port}/"
    proc_open = serve(output, port)
    if _headless():
        out(
            f"serving the report at {url} (no display here: open that URL in a browser; "
            "Ctrl-C stops)"
        )
    else:
        out(f"serving the report at {url} (opening a browser; Ctrl-C stops)")
    previous = signal.signal(signal.SIGTERM, _interrupt)  # stop the server on SIGTERM too
    try:
        rc = proc_open.wait()
    except KeyboardInterrupt:
        proc_open.terminate()
        try:
            proc_open.wait(timeout=10)
        except subprocess.TimeoutExpired:  # still running: stop it for good
            proc_open.kill()
            proc_open.wait()
        out("stopped")
        return EXIT_OK
    finally:
        signal.signal(signal.SIGTERM, previous)
    if rc != 0:
        err(f"hil report: allure open exited with code {rc} (port {port} in use?)")
        return EXIT_INTERNAL
    return EXIT_OK


def _merge(d: Path, shards: list[Path]) -> int:
    from hil.sweep.merge import merge_shards
    from hil.sweep.report import summary_lines, write_sweep

    result, meta = merge_shards(shards)  # MergeError: one line, exit 2
    written = write_sweep(
        result,
        d,
        engine=meta.engine,
        build=meta.build,
        defines=meta.defines,
        hashes=meta.hashes,
        app_size=meta.app_size,
    )
    for line in summary_lines(result, timing=False):
        out(line)
    out(f"merged {len(shards)} shard(s): {written['summary']} (points: {written['points']})")
    uncovered = result.uncovered()
    if uncovered:
        out(f"FAIL: no fault fired in phase(s): {', '.join(uncovered)}")
    if result.lost:
        err(f"hil report: {len(result.lost)} point(s) of the shards without a result; no verdict")
        return EXIT_INTERNAL
    out(f"verdict: {'PASS' if result.passed else 'FAIL'}")
    return EXIT_OK if result.passed else EXIT_FAILED
