"""`hil matrix --jobs N` (hil/matrix/split.py): the platforms run side by side in forked workers
and the evidence and reports are byte-identical to a run one platform after the other."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

HIL = str(Path(sys.executable).parent / "hil")


def _files(root: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()
    }


def test_platforms_side_by_side_give_the_same_evidence_and_reports(tmp_path: Path) -> None:
    trees = []
    for jobs in ("1", "2"):
        report = tmp_path / "report"  # the same path: replay commands name it
        done = subprocess.run(
            [HIL, "matrix", "--items", "1", "--jobs", jobs, "--report", str(report)],
            capture_output=True,
            text=True,
            check=False,
        )
        assert done.returncode == 0, done.stderr
        trees.append(_files(report))
        subprocess.run(["rm", "-rf", str(report)], check=True)
    serial, split = trees
    assert any(k.startswith("evidence/stm32u585/") for k in split)
    assert any(k.startswith("evidence/lpc55s69/") for k in split)
    assert serial.keys() == split.keys()
    assert [k for k in serial if serial[k] != split[k]] == []


def test_jobs_below_one_is_refused() -> None:
    done = subprocess.run(
        [HIL, "matrix", "--items", "1", "--jobs", "0"], capture_output=True, text=True, check=False
    )
    assert done.returncode == 2
    assert done.stderr.strip() == (
        "hil matrix: --jobs: expected a number of workers of at least 1, found 0"
    )
