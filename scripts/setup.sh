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
# Node.js and npm for the Allure report generator (below); any origin will do (Debian's
# packages, NodeSource, ...): only when the commands are missing
command -v node >/dev/null 2>&1 || need_pkgs+=("nodejs")
command -v npm >/dev/null 2>&1 || need_pkgs+=("npm")
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

# --- Allure report generator (npm package allure 3.x) ---------------------------------------
# `hil report` renders the matrix's allure-results with it. Installed into .tools/ (gitignored)
# at a pinned exact version, skipped when that version is already there; .tools/allure/bin/allure
# is the one entry point (hil.report.allure_cli.find_allure), a wrapper that runs the package
# with the Node chosen here.
ALLURE_VERSION=3.18.0
# allure 3's dependencies need Node >= 20.19 (chokidar >= 20.19.0, p-limit/open >= 20; its CI
# module calls Array.prototype.toSorted). Debian 12's nodejs is 18.20: with an older system
# Node, npm fetches the official Node binary as the npm package node-linux-<arch> (pinned).
NODE_MIN_MAJOR=20 NODE_MIN_MINOR=19
NODE_FALLBACK=22.23.3
node_ok() {
  "$1" -e "const [a, b] = process.versions.node.split('.').map(Number);
    process.exit(a > $NODE_MIN_MAJOR || (a === $NODE_MIN_MAJOR && b >= $NODE_MIN_MINOR) ? 0 : 1)" \
    >/dev/null 2>&1
}
NODE_BIN=$(command -v node)
if ! node_ok "$NODE_BIN"; then
  case "$(uname -m)" in
    x86_64) narch=x64 ;;
    aarch64 | arm64) narch=arm64 ;;
    *) echo "[setup] no Node $NODE_FALLBACK binary package for $(uname -m)" >&2; exit 1 ;;
  esac
  NODE_BIN="$ROOT/.tools/node/node_modules/node-linux-$narch/bin/node"
  if [ ! -x "$NODE_BIN" ] || [ "$("$NODE_BIN" -p process.versions.node)" != "$NODE_FALLBACK" ]; then
    say "system Node $(node --version) is older than $NODE_MIN_MAJOR.$NODE_MIN_MINOR: installing Node $NODE_FALLBACK (npm package node-linux-$narch) into .tools/node"
    mkdir -p .tools/node
    npm install --prefix .tools/node --no-audit --no-fund --loglevel=error --save-exact \
      "node-linux-$narch@$NODE_FALLBACK" >/dev/null
  fi
  node_ok "$NODE_BIN" || { echo "[setup] $NODE_BIN does not run" >&2; exit 1; }
fi
ALLURE_DIR="$ROOT/.tools/allure"
have=$("$NODE_BIN" -p "require('$ALLURE_DIR/node_modules/allure/package.json').version" 2>/dev/null || true)
if [ "$have" != "$ALLURE_VERSION" ]; then
  say "installing the Allure report generator (npm allure@$ALLURE_VERSION) into .tools/allure"
  mkdir -p "$ALLURE_DIR"
  PATH="$(dirname "$NODE_BIN"):$PATH" npm install --prefix "$ALLURE_DIR" --no-audit --no-fund \
    --loglevel=error --save-exact "allure@$ALLURE_VERSION" >/dev/null
else
  say "Allure $ALLURE_VERSION present"
fi
wrapper="$ALLURE_DIR/bin/allure"
want_wrapper="#!/bin/sh
# written by scripts/setup.sh: npm allure@$ALLURE_VERSION run with $NODE_BIN
exec \"$NODE_BIN\" \"$ALLURE_DIR/node_modules/allure/cli.js\" \"\$@\""
if [ ! -x "$wrapper" ] || [ "$(cat "$wrapper")" != "$want_wrapper" ]; then
  mkdir -p "$ALLURE_DIR/bin"
  printf '%s\n' "$want_wrapper" > "$wrapper"
  chmod +x "$wrapper"
fi
got=$("$wrapper" --version 2>/dev/null || true)
if [ "$got" != "$ALLURE_VERSION" ]; then
  echo "[setup] $wrapper --version says '$got', expected $ALLURE_VERSION" >&2
  exit 1
fi

# --- firmware ------------------------------------------------------------------------------
say "building firmware (incremental)"
.venv/bin/hil build >/dev/null
make -s -C firmware_stubs/host OUT_DIR="$ROOT/build/host" >/dev/null
# the second reference target (firmware_stubs/swap), on the platform files hil build wrote
for plat in stm32u585 lpc55s69; do
  make -s -C firmware_stubs/swap PLATFORM="$plat" GEN_DIR="$ROOT/build/firmware/$plat/gen" \
    OUT_DIR="$ROOT/build/firmware/$plat-swap" >/dev/null
done

# --- Robot keyword documentation (libdoc; generated, gitignored) ------------------------------
mkdir -p docs/robot
.venv/bin/python -m robot.libdoc -P . hil.robot.OtaHil docs/robot/OtaHil.html >/dev/null

if [ "$RUN_MAIN" = 1 ]; then
  say "main job: the must-pass matrix, all 15 items on both chips (report in reports/matrix)"
  .venv/bin/hil matrix --report reports/matrix
fi
