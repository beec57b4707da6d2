#!/usr/bin/env bash
# One-command setup of ota-hil on a Debian machine, then the main job.
#
#   bash scripts/setup.sh            # install what is missing, build firmware, run the main job
#   bash scripts/setup.sh --no-main  # install and build only (used by scripts/test.sh)
#
# Idempotent: a second run installs nothing and rebuilds nothing that is up to date.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
RUN_MAIN=1
[ "${1:-}" = "--no-main" ] && RUN_MAIN=0

say() { printf '[setup] %s\n' "$*"; }

# --- Debian packages (only the missing ones) -------------------------------------------
need_pkgs=()
for pkg in gcc-arm-none-eabi libnewlib-arm-none-eabi make gcc gdb-multiarch; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "ok installed" || need_pkgs+=("$pkg")
done
PY=${PYTHON:-python3}
if ! "$PY" -c 'import venv, ensurepip' >/dev/null 2>&1; then
  need_pkgs+=("python3-venv")
fi
if [ ${#need_pkgs[@]} -gt 0 ]; then
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  say "installing Debian packages: ${need_pkgs[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need_pkgs[@]}"
else
  say "Debian packages present"
fi

# --- Python virtual environment ----------------------------------------------------------
if [ ! -x .venv/bin/python ]; then
  say "creating .venv"
  "$PY" -m venv .venv
fi
stamp=.venv/.ota-hil-installed
want=$(sha256sum pyproject.toml | cut -d' ' -f1)
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  say "installing Python dependencies (pip install -e '.[dev]')"
  .venv/bin/python -m pip install -q --upgrade pip >/dev/null
  .venv/bin/python -m pip install -q -e '.[dev]'
  echo "$want" > "$stamp"
else
  say "Python dependencies up to date"
fi

# --- firmware ------------------------------------------------------------------------------
say "building firmware (incremental)"
.venv/bin/hil build >/dev/null
make -s -C firmware_stubs/host OUT_DIR="$ROOT/build/host" >/dev/null

if [ "$RUN_MAIN" = 1 ]; then
  say "main job: boot both platforms"
  for p in stm32u585 lpc55s69; do
    .venv/bin/hil boot --platform "$p"
  done
fi
