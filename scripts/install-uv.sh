#!/usr/bin/env bash
# Installs the pinned uv (a PyPI wheel) into DIR/venv and links it as DIR/bin/uv, for
# `ptb setup --installer uv`: DIR/bin holds nothing else, so putting it on PATH changes nothing
# but `uv`. Reuses an install of the same version.
set -euo pipefail
DIR="${1:?usage: install-uv.sh DIR}"
mkdir -p "$DIR" && DIR="$(cd "$DIR" && pwd)"   # absolute, so the link below resolves from DIR/bin
VERSION="0.13.10"
if [ -x "$DIR/bin/uv" ] && [ "$("$DIR/bin/uv" --version 2>/dev/null)" = "uv $VERSION" ]; then exit 0; fi
rm -rf "$DIR/venv" "$DIR/bin"
python3 -m venv "$DIR/venv"
"$DIR/venv/bin/pip" install --quiet --progress-bar off --disable-pip-version-check "uv==$VERSION"
mkdir -p "$DIR/bin"
ln -sf "$DIR/venv/bin/uv" "$DIR/bin/uv"
"$DIR/bin/uv" --version
