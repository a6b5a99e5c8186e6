#!/bin/sh
# The pinned Claude Code and Codex CLIs for ptb's images, from their PyPI wheels (no Node.js), as
# `ptb setup --agents claude-code,codex` installs them on a host: the pins come from ptb.lock
# (CLAUDE_CODE_WHEEL…, CODEX_WHEEL…, which a test keeps equal to ptb's own), the wheel's and the
# executable's SHA-256 are checked, `--version` must print the pinned CLI version, and the layout
# is $PTB_HOME/agents/<scaffold>/<version>/ (so ptb inside the image with PTB_HOME=/opt/ptb finds
# them too), with one link per CLI in BIN_DIR (on the image's PATH).
#
#   sh install-agent-clis.sh LOCK AGENTS_DIR BIN_DIR [WHEEL_DIR]
#
# WHEEL_DIR: where the wheels are downloaded (default: a temporary directory, deleted); a wheel
# already there with the pinned hash is used as it is (offline builds). DESTDIR: a staging root
# prepended to AGENTS_DIR and BIN_DIR when writing; the links point at the unprefixed paths.
# PYTHON: the interpreter with pip (default python3). CLIS: which to install (default both).
set -eu
LOCK=$1 AGENTS=$2 BIN=$3
DESTDIR=${DESTDIR:-}
PY=${PYTHON:-python3}
CLIS=${CLIS:-claude-code codex}
. "$LOCK"
PLATFORM=manylinux_2_17_x86_64
if [ $# -ge 4 ]; then WHEELS=$4; else WHEELS=$(mktemp -d); trap 'rm -rf "$WHEELS"' EXIT; fi
mkdir -p "$WHEELS" "$DESTDIR$BIN"

sha() { sha256sum "$1" | cut -d' ' -f1; }

# scaffold, wheel (NAME==VERSION), wheel SHA-256, CLI version, wheel member (a file, or a
# directory ending in / whose layout is kept), executable, executable SHA-256.
install_cli() {
    scaffold=$1 spec=$2 wheel_sha=$3 version=$4 member=$5 exe=$6 exe_sha=$7
    name=${spec%%==*} pkgver=${spec##*==}
    wheel="$WHEELS/$(echo "$name" | tr - _)-$pkgver-py3-none-$PLATFORM.whl"
    if [ ! -f "$wheel" ] || [ "$(sha "$wheel")" != "$wheel_sha" ]; then
        rm -f "$wheel"
        PIP_DISABLE_PIP_VERSION_CHECK=1 "$PY" -m pip download --no-deps --only-binary=:all: --platform "$PLATFORM" \
            --progress-bar off --dest "$WHEELS" "$spec"
    fi
    got=$(sha "$wheel")
    if [ "$got" != "$wheel_sha" ]; then
        echo "install-agent-clis: $wheel has SHA-256 $got, not the pinned $wheel_sha (ptb.lock); nothing installed." >&2
        exit 1
    fi
    dir="$AGENTS/$scaffold/$version"
    rm -rf "$DESTDIR$dir"
    mkdir -p "$DESTDIR$dir"
    "$PY" - "$wheel" "$member" "$DESTDIR$dir" "$exe" <<'PY'
import os, sys, zipfile
wheel, member, dest, exe = sys.argv[1:5]
with zipfile.ZipFile(wheel) as z:
    infos = [i for i in z.infolist() if not i.is_dir() and (i.filename == member or (member.endswith('/') and i.filename.startswith(member)))]
    if not infos:
        sys.exit(f'{member} is not in {wheel}')
    for i in infos:
        rel = os.path.join('bin', os.path.basename(member)) if i.filename == member else i.filename[len(member):]
        if rel.endswith('.py') or rel.startswith('..') or os.path.isabs(rel):
            continue
        target = os.path.join(dest, rel)
        os.makedirs(os.path.dirname(target), exist_ok=True)
        with z.open(i) as src, open(target, 'wb') as out:
            while chunk := src.read(1 << 20):
                out.write(chunk)
        mode = (i.external_attr >> 16) & 0o777
        os.chmod(target, 0o755 if (mode & 0o111 or rel == exe) else 0o644)
PY
    got=$(sha "$DESTDIR$dir/$exe")
    if [ "$got" != "$exe_sha" ]; then
        echo "install-agent-clis: $dir/$exe has SHA-256 $got, not the pinned $exe_sha (ptb.lock)." >&2
        exit 1
    fi
    # A fresh HOME: --version must not leave CLI state in the image.
    vhome=$(mktemp -d)
    said=$(HOME=$vhome CODEX_HOME=$vhome "$DESTDIR$dir/$exe" --version </dev/null 2>/dev/null || true)
    rm -rf "$vhome"
    case " $said " in
        *" $version "*) ;;
        *) echo "install-agent-clis: $dir/$exe --version printed '$said', not $version." >&2; exit 1 ;;
    esac
    ln -sfn "$dir/$exe" "$DESTDIR$BIN/$(basename "$exe")"
    echo "installed $scaffold $version ($said) at $dir, linked from $BIN/$(basename "$exe")"
}

want() { case " $CLIS " in *" $1 "*) return 0 ;; *) return 1 ;; esac; }
want claude-code && install_cli claude-code "$CLAUDE_CODE_WHEEL" "$CLAUDE_CODE_WHEEL_SHA256" "$CLAUDE_CODE_WHEEL_CLI_VERSION" \
    claude_agent_sdk/_bundled/claude bin/claude "$CLAUDE_CODE_BINARY_SHA256"
want codex && install_cli codex "$CODEX_WHEEL" "$CODEX_WHEEL_SHA256" "$CODEX_WHEEL_CLI_VERSION" \
    codex_cli_bin/ bin/codex "$CODEX_BINARY_SHA256"
exit 0
