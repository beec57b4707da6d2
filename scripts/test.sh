#!/usr/bin/env bash
# Run the ota-hil test suite (sets up first if needed; the setup step is idempotent and quick):
# the Robot Framework suites (suites/robot: the must-pass matrix on both chips and the monitor;
# HIL_ROBOT=0 skips them) and pytest, side by side: Robot is one process, so it runs in the
# background while pytest -n takes the cores; its console goes to reports/robot/console.txt and
# is printed when both have finished. The Robot suites' Allure results
# (reports/robot/allure-results) are merged into the rendered report that
# suites/test_allure_report.py checks (it waits for reports/robot/rc, written when Robot ends).
# Exit status: non-zero when either runner failed.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh --no-main
robot_rc=0
robot_pid=
# the Robot rows tagged nightly (each item's row on its second chip) run with HIL_ROBOT_NIGHTLY=1
robot_nightly="--exclude nightly"
[ "${HIL_ROBOT_NIGHTLY:-0}" = 1 ] && robot_nightly=""
if [ "${HIL_ROBOT:-1}" != 0 ]; then
  rm -rf reports/robot
  mkdir -p reports/robot
  (
    rc=0
    .venv/bin/robot --outputdir reports/robot --console dotted \
      --listener "allure_robotframework:$PWD/reports/robot/allure-results" \
      --exclude planted-bug $robot_nightly suites/robot >reports/robot/console.txt 2>&1 || rc=$?
    echo "$rc" >reports/robot/rc
  ) &
  robot_pid=$!
  # an interrupted run stops Robot too (a background job ignores SIGINT; Robot ends cleanly on
  # SIGTERM and still writes its output)
  trap '[ -n "$robot_pid" ] && kill -TERM "$robot_pid" 2>/dev/null || true' INT TERM
  export HIL_ROBOT_ALLURE_RESULTS="$PWD/reports/robot/allure-results"
  export HIL_ROBOT_DONE="$PWD/reports/robot/rc"
fi
py_rc=0
.venv/bin/python -m pytest -q -n auto --dist worksteal "$@" || py_rc=$?
if [ -n "$robot_pid" ]; then
  wait "$robot_pid" || true
  echo "-- Robot Framework suites (reports/robot/console.txt):"
  cat reports/robot/console.txt
  robot_rc=$(cat reports/robot/rc 2>/dev/null || echo 255)
fi
if [ "$robot_rc" != 0 ]; then
  echo "scripts/test.sh: Robot suites failed ($robot_rc failing test(s)): reports/robot/log.html" >&2
fi
[ "$robot_rc" = 0 ] && exit "$py_rc"
exit 1
