#!/bin/sh
# Installs the Debian 12 packages that building and testing pwsvc need, and
# any packages named as arguments, running apt-get only when one is missing.
set -eu

packages="
  cmake g++ make pkg-config python3 python3-yaml dpkg-dev
  libsodium-dev libargon2-dev libcrypt-dev libssl-dev libaprutil1-dev
  libcli11-dev libtomlplusplus-dev libspdlog-dev libexpected-dev catch2
  libboost1.81-dev libboost-json1.81-dev libsystemd-dev systemd mandoc util-linux zlib1g-dev
  libutf8proc-dev libzxcvbn-dev
"
# Extra packages named as arguments, such as clang for the sanitizer builds.
packages="$packages $*"

missing=""
for package in $packages; do
  if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed"; then
    missing="$missing $package"
  fi
done

if [ -z "$missing" ]; then
  exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
  echo "install-build-deps: missing packages:$missing; run as root or install them with apt-get" >&2
  exit 1
fi

echo "install-build-deps: installing$missing"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing
