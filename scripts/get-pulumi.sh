#!/usr/bin/env bash
# Puts the real Pulumi CLI into .ftstack/tools/pulumi/<version>/bin (or $FTSTACK_TOOLS_DIR/pulumi/...), built from the Go module proxy
# (GitHub release downloads, Pulumi's usual installer, are not reachable here). Cached: a second run
# is a no-op. A compatible `pulumi` already on PATH wins and nothing is built.
# Prints the bin folder to use on its last line.
set -euo pipefail

version="${FTSTACK_PULUMI_VERSION:-v3.274.1}"
minimum_major_minor="3.200"
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
tools="${FTSTACK_TOOLS_DIR:-$root/.ftstack/tools}/pulumi/$version"
bin="$tools/bin"

compatible() {  # $1: a pulumi executable; true when it is v3 at or above the minimum
  local found
  found="$("$1" version 2>/dev/null || true)"
  [[ "$found" =~ ^v?3\.([0-9]+)\. ]] || return 1
  (( BASH_REMATCH[1] >= ${minimum_major_minor#3.} ))
}

if [[ -z "${FTSTACK_PULUMI_BUILD:-}" ]] && existing="$(command -v pulumi 2>/dev/null)" && compatible "$existing"; then
  dirname "$existing"
  exit 0
fi
write_language_host() {
  # The proxy does not serve the Go `pulumi-language-python` (an untagged module), so a CLI built here runs
  # Python programs through ftstack's own host (ftstack/local/language_host.py). `ftstack local` names its
  # Python in FTSTACK_PYTHON; the first checkout's venv is the fallback for direct `pulumi` runs.
  [[ -x "$bin/pulumi-language-python" ]] && return 0
  cat > "$bin/pulumi-language-python.partial" <<SH
#!/bin/sh
exec "\${FTSTACK_PYTHON:-$root/.venv/bin/python}" -m ftstack.local.language_host --executor "$bin/pulumi-language-python-exec" "\$@"
SH
  chmod +x "$bin/pulumi-language-python.partial"
  mv "$bin/pulumi-language-python.partial" "$bin/pulumi-language-python"
}

if [[ -x "$bin/pulumi" ]] && compatible "$bin/pulumi"; then
  write_language_host
  echo "$bin"
  exit 0
fi
if ! command -v go >/dev/null 2>&1; then
  echo "get-pulumi: neither a Pulumi CLI (v3.${minimum_major_minor#3.}+) nor Go (1.25+) is on PATH; install one of them" >&2
  exit 2
fi

work="$tools/src"
mkdir -p "$work" "$bin"
# One build at a time (make and the tests may ask at once): the second caller waits, then finds the first's.
if command -v flock >/dev/null 2>&1; then
  exec 9>"$tools/.build.lock"
  flock 9
  if [[ -x "$bin/pulumi" ]] && compatible "$bin/pulumi"; then
    write_language_host
    echo "$bin"
    exit 0
  fi
fi
echo "get-pulumi: building the Pulumi CLI $version from the Go module proxy (first time only, several minutes)" >&2
cd "$work"
[[ -f go.mod ]] || go mod init ftstack.local/pulumi-cli >/dev/null 2>&1
cat > tools.go <<GO
//go:build tools

package tools

import _ "github.com/pulumi/pulumi/pkg/v3/cmd/pulumi"
GO
go get "github.com/pulumi/pulumi/pkg/v3@$version" "github.com/pulumi/pulumi/sdk/v3@$version" >&2
go mod tidy >&2
go build -o "$bin/pulumi.partial" \
  -ldflags "-X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=$version" \
  github.com/pulumi/pulumi/pkg/v3/cmd/pulumi >&2
mv "$bin/pulumi.partial" "$bin/pulumi"

# The Python language host's helper scripts ship in the sdk module zip.
sdk_dir="$(go mod download -json "github.com/pulumi/pulumi/sdk/v3@$version" | sed -n 's/.*"Dir": "\(.*\)".*/\1/p')"
install -m 0755 "$sdk_dir/python/cmd/pulumi-language-python-exec" "$bin/pulumi-language-python-exec"
install -m 0755 "$sdk_dir/python/dist/pulumi-resource-pulumi-python" "$bin/pulumi-resource-pulumi-python"
write_language_host
echo "$bin"
