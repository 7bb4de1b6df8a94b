#!/usr/bin/env sh
# Print the path of an installed Python VERSION (e.g. 3.13): one uv finds, else one of pyenv's
# (uv does not see pyenv versions that are not on PATH). Nothing is downloaded; none found is
# an error that says how to install one.
# Usage: find-python.sh VERSION UV
set -eu
version="$1"
uv="$2"
if UV_PYTHON_DOWNLOADS=never "$uv" python find "$version" 2>/dev/null; then
  exit 0
fi
for python in "${PYENV_ROOT:-$HOME/.pyenv}"/versions/"$version".*/bin/python"$version"; do
  if [ -x "$python" ] && "$python" -c pass 2>/dev/null; then
    echo "$python"
    exit 0
  fi
done
echo "no Python $version found; install it (pyenv install $version, or uv python install $version) and run again" >&2
exit 1
