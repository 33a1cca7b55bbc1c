#!/usr/bin/env bash
# Install DEERIn on a fresh machine, then run the demo (the main job for a newcomer).
#   scripts/setup.sh            install everything, then run `deerin demo`
#   scripts/setup.sh --no-demo  install only (the test command uses this)
# Safe to run again: every step is skipped when already done.
set -euo pipefail
cd "$(dirname "$0")/.."

run_demo=1
[[ "${1:-}" == "--no-demo" ]] && run_demo=0

say() { printf '\033[1m==> %s\033[0m\n' "$*"; }

# 1. System programs: ffmpeg (decode, probe, proxies), espeak-ng (demo narration) and
#    Chromium (the web app's browser tests drive it; Playwright's own download cannot work
#    offline).
missing=()
command -v ffmpeg >/dev/null && command -v ffprobe >/dev/null || missing+=(ffmpeg)
command -v espeak-ng >/dev/null || missing+=(espeak-ng)
command -v chromium >/dev/null || missing+=(chromium)
if ((${#missing[@]})); then
  say "installing system packages: ${missing[*]}"
  sudo_cmd=""; [[ $(id -u) -ne 0 ]] && sudo_cmd="sudo"
  if command -v apt-get >/dev/null; then
    $sudo_cmd apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq "${missing[@]}" >/dev/null
  elif command -v brew >/dev/null; then
    brew install "${missing[@]}"
  else
    echo "Please install ${missing[*]} with your system's package manager, then rerun." >&2
    exit 1
  fi
fi

# 2. Python environment. torch goes first, alone, at the exact pin, so that pip takes the
#    CPU build and never a multi-gigabyte CUDA one (see docs/architecture.md).
PY=${PYTHON:-python3.11}
command -v "$PY" >/dev/null || PY=python3
if [[ ! -x .venv/bin/python ]]; then
  say "creating .venv with $($PY --version)"
  "$PY" -m venv .venv
fi
pip=(.venv/bin/python -m pip install -q --disable-pip-version-check)
# Some machines list local package folders that do not exist; pip warns once per package.
quiet() { "$@" 2> >(grep -v "is neither a file nor a directory" >&2); }
stamp=.venv/.deerin-installed
want=$(cat pyproject.toml requirements-nodeps.txt | sha256sum | cut -c1-16)
if [[ "$(cat "$stamp" 2>/dev/null)" != "$want" ]]; then
  say "installing Python packages (a few minutes the first time)"
  quiet "${pip[@]}" "torch==2.13.0"
  # llama-cpp-python compiles llama.cpp (about 4 minutes); portable flags, so the build
  # runs on any x86-64 machine rather than only this CPU.
  CMAKE_ARGS="-DGGML_NATIVE=OFF -DLLAVA_BUILD=OFF" quiet "${pip[@]}" -e ".[dev,cluster]" "torch==2.13.0"
  # These declare the GUI opencv-python, which would clash with the headless build.
  quiet "${pip[@]}" --no-deps -r requirements-nodeps.txt
  echo "$want" >"$stamp"
fi

if ((run_demo)); then
  say "running the demo"
  .venv/bin/deerin demo
fi
