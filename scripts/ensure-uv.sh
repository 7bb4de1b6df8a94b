#!/usr/bin/env sh
# Print the path of a uv binary, installing uv with pip (user site) when none is on PATH.
set -eu
if command -v uv >/dev/null 2>&1; then
  command -v uv
  exit 0
fi
python3 -m pip install --quiet --user "uv>=0.5" >&2
user_bin="$(python3 -m site --user-base)/bin"
if [ -x "$user_bin/uv" ]; then
  echo "$user_bin/uv"
else
  python3 -c 'import shutil, sys; p = shutil.which("uv"); sys.exit(0 if p and print(p) is None else 1)'
fi
