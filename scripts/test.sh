#!/usr/bin/env bash
# Run the ota-hil test suite (sets up first if needed; the setup step is idempotent and quick):
# the Robot Framework suites (suites/robot: the must-pass matrix on both chips and the monitor;
# HIL_ROBOT=0 skips them), then pytest. The Robot suites' Allure results
# (reports/robot/allure-results) are merged into the rendered report that
# suites/test_allure_report.py checks. Exit status: non-zero when either runner failed.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh --no-main
robot_rc=0
if [ "${HIL_ROBOT:-1}" != 0 ]; then
  rm -rf reports/robot
  .venv/bin/robot --outputdir reports/robot --console dotted \
    --listener "allure_robotframework:$PWD/reports/robot/allure-results" \
    --exclude planted-bug suites/robot || robot_rc=$?
  export HIL_ROBOT_ALLURE_RESULTS="$PWD/reports/robot/allure-results"
fi
py_rc=0
.venv/bin/python -m pytest -q -n auto --dist worksteal "$@" || py_rc=$?
if [ "$robot_rc" != 0 ]; then
  echo "scripts/test.sh: Robot suites failed ($robot_rc failing test(s)): reports/robot/log.html" >&2
fi
[ "$robot_rc" = 0 ] && exit "$py_rc"
exit 1
