#!/bin/sh
# Builds function.zip for the AWS Lambda provided.al2023 runtime: the static
# `bootstrap` at the zip root and, with --config, a pwsvc.toml beside it.
set -eu

usage() {
  echo "usage: build-zip.sh [--config FILE] BUILD_DIR [OUTPUT_ZIP]" >&2
  echo "  builds the bootstrap target in BUILD_DIR (configured with cmake if needed) and" >&2
  echo "  writes OUTPUT_ZIP (default: BUILD_DIR/function.zip)" >&2
  exit 2
}

config=""
if [ "${1:-}" = "--config" ]; then
  [ $# -ge 2 ] || usage
  config=$2
  shift 2
  if [ ! -f "$config" ]; then
    echo "build-zip: error: config file '$config' not found" >&2
    exit 2
  fi
fi
[ $# -ge 1 ] && [ $# -le 2 ] || usage

source_dir=$(cd "$(dirname "$0")/../.." && pwd)
build_dir=$1
output=${2:-$build_dir/function.zip}

if [ ! -f "$build_dir/CMakeCache.txt" ]; then
  cmake -S "$source_dir" -B "$build_dir" -DCMAKE_BUILD_TYPE=Release
fi
cmake --build "$build_dir" --target bootstrap

binary="$build_dir/daemon/lambda/bootstrap"
# provided.al2023 has glibc 2.34; a binary linked against Debian 12's 2.36
# would fail there, so only a static one is packaged.
if ldd "$binary" >/dev/null 2>&1; then
  echo "build-zip: error: $binary is dynamically linked; configure with -DPWSVC_LAMBDA_STATIC=ON" >&2
  ldd "$binary" >&2
  exit 1
fi

staging=$(mktemp -d)
trap 'rm -rf "$staging"' EXIT
strip --strip-unneeded -o "$staging/bootstrap" "$binary"
chmod 0755 "$staging/bootstrap"
if [ -n "$config" ]; then
  cp "$config" "$staging/pwsvc.toml"
  chmod 0644 "$staging/pwsvc.toml"
fi

# zipfile keeps the Unix mode bits, which Lambda needs to run bootstrap.
python3 - "$staging" "$output" <<'PYTHON'
import os
import sys
import zipfile

staging, output = sys.argv[1], sys.argv[2]
with zipfile.ZipFile(output + ".tmp", "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
    for name in sorted(os.listdir(staging)):
        archive.write(os.path.join(staging, name), name)
os.replace(output + ".tmp", output)
PYTHON

echo "build-zip: wrote $output ($(wc -c <"$output") bytes; bootstrap $(wc -c <"$staging/bootstrap") bytes, static)"
