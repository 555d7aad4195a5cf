#!/bin/bash
# Boots a Debian 12 container under systemd-nspawn and checks what the
# maintainer scripts of the pwsvc package do when systemd runs. Install must
# enable and start the units, and an upgrade must restart the daemon and keep
# an admin's `systemctl disable`. Remove must stop and mask the units, and
# purge must leave no unit state and no pwsvc user.
#
# Usage: check-deb-in-nspawn.sh PACKAGE.deb [CONTAINER_ROOT]
#
# Needs root on a Debian 12 host with debootstrap and systemd-nspawn. The first
# run installs a minimal bookworm (about 260 MB) into CONTAINER_ROOT, default
# /var/tmp/pwsvc-deb-nspawn, from $DEBIAN_MIRROR or else deb.debian.org; later
# runs reuse it. The container has a private network with loopback only.
# test-package.sh checks the same package on the host, where systemd may not run.
# Exits 0 when every check passes, 1 when a check fails, and 2 when the setup
# fails.
set -euo pipefail

readonly machine=pwsvc-deb-check
readonly socket_path=/run/pwsvc/pwsvcd.sock

passed=0
failed=0
root=
nspawn_pid=
leader_pid=
log_file=

die() {
  echo "check-deb-in-nspawn: error: $*" >&2
  exit 2
}

check() {
  local name=$1
  shift
  if "$@"; then
    echo "ok: $name"
    passed=$((passed + 1))
  else
    echo "FAIL: $name"
    failed=$((failed + 1))
  fi
}

inside() {
  nsenter --target "$leader_pid" --all -- "$@"
}

# Prints the host package that provides the virtual package $1, or nothing.
# awk reads to the end, because an early exit would make dpkg-query fail with
# SIGPIPE under pipefail.
provider_of() {
  dpkg-query -W -f='${Package}\t${Provides}\n' | awk -F '\t' -v name="$1" '
    { count = split($2, names, /, */)
      for (i = 1; i <= count; i++) {
        sub(/ .*/, "", names[i])
        if (names[i] == name && found == "") { found = $1 }
      } }
    END { if (found != "") print found }'
}

# Lists the packages to preinstall: systemd, the tools of the checks, and the
# dependencies of the .deb. debootstrap cannot resolve a virtual package such
# as libspdlog1.10-fmt9, so the host package that provides it goes instead.
container_packages() {
  local deb=$1 name provider
  local packages=(systemd systemd-sysv dbus curl)
  for name in $(dpkg-deb -f "$deb" Depends | sed 's/([^)]*)//g; s/,/ /g'); do
    provider=$name
    if [[ "$(dpkg-query -W -f='${db:Status-Status}' "$name" 2>/dev/null)" != installed ]]; then
      provider=$(provider_of "$name")
    fi
    [[ -n "$provider" ]] ||
      die "no package on this host provides $name, which $deb depends on. Install it and run again."
    packages+=("$provider")
  done
  local IFS=,
  echo "${packages[*]}"
}

install_tree() {
  local deb=$1
  # NOTE: a reused tree gets no package that a newer .deb depends on, so dpkg
  # fails on such a dependency; remove CONTAINER_ROOT to rebuild the tree.
  if [[ -x "$root/usr/lib/systemd/systemd" ]]; then
    return
  fi
  if [[ -d "$root/debootstrap" ]]; then
    die "$root contains an unfinished debootstrap. Remove it and run again."
  fi
  debootstrap --variant=minbase --include="$(container_packages "$deb")" bookworm "$root" \
    "${DEBIAN_MIRROR:-http://deb.debian.org/debian/}"
}

stop_container() {
  if [[ -n "$nspawn_pid" ]] && kill -0 "$nspawn_pid" 2>/dev/null; then
    # systemd-nspawn turns SIGTERM into a clean shutdown. A SIGTERM that comes
    # too early in the boot is lost, so repeat it and end with SIGKILL.
    local seconds
    for seconds in $(seq 60); do
      kill -0 "$nspawn_pid" 2>/dev/null || break
      ((seconds % 10 == 1)) && kill -TERM "$nspawn_pid"
      sleep 1
    done
    kill -KILL "$nspawn_pid" 2>/dev/null || true
    wait "$nspawn_pid" || true
  fi
  if [[ -n "$log_file" ]]; then
    rm -f "$log_file"
  fi
}

boot_container() {
  local options=(--boot --directory="$root" --machine="$machine" --private-network
                 --console=passive)
  # Without systemd as PID 1 on the host there is no bus to register the
  # machine with, so nspawn must stay in its own cgroup.
  if [[ ! -d /run/systemd/system ]]; then
    options+=(--register=no --keep-unit)
  fi
  log_file=$(mktemp)
  systemd-nspawn "${options[@]}" </dev/null >"$log_file" 2>&1 &
  nspawn_pid=$!

  # The container's init is the child of systemd-nspawn that is PID 1 in its
  # own PID namespace.
  local child state=
  for _ in $(seq 200); do
    for child in $(ps -o pid= --ppid "$nspawn_pid"); do
      if [[ "$(awk '/^NSpid:/ { print $NF }' "/proc/$child/status" 2>/dev/null)" == 1 ]]; then
        leader_pid=$child
      fi
    done
    [[ -n "$leader_pid" ]] && break
    sleep 0.1
  done
  [[ -n "$leader_pid" ]] || { cat "$log_file" >&2; die "systemd-nspawn did not start the container"; }

  for _ in $(seq 120); do
    state=$(inside systemctl is-system-running --wait 2>/dev/null) || true
    [[ "$state" == running || "$state" == degraded ]] && return
    sleep 1
  done
  cat "$log_file" >&2
  die "the container did not finish booting (state '$state')"
}

readyz_status() {
  inside curl --silent --output /dev/null --max-time 10 --write-out '%{http_code}' \
    --unix-socket "$socket_path" http://localhost/readyz || true
}

main_pid() {
  inside systemctl show --property=MainPID --value pwsvcd.service
}

unit_is() {
  local state=$1 unit=$2
  [[ "$(inside systemctl "is-$state" "$unit" 2>&1)" == "$3" ]]
}

check_install() {
  inside dpkg -i /root/pwsvc.deb
  check "install starts pwsvcd.socket" unit_is active pwsvcd.socket active
  check "install starts pwsvcd.service" unit_is active pwsvcd.service active
  check "install enables pwsvcd.socket" unit_is enabled pwsvcd.socket enabled
  check "install enables pwsvcd.service" unit_is enabled pwsvcd.service enabled
  check "readyz returns 200 on the socket" [ "$(readyz_status)" = 200 ]
  check "daemon runs as pwsvc" [ "$(inside stat -c %U "/proc/$(main_pid)")" = pwsvc ]
}

check_upgrade() {
  local before
  before=$(main_pid)
  inside dpkg -i /root/pwsvc.deb
  check "upgrade restarts the daemon" [ "$(main_pid)" != "$before" ]
  check "readyz returns 200 after the upgrade" [ "$(readyz_status)" = 200 ]

  inside systemctl disable --quiet pwsvcd.service
  inside dpkg -i /root/pwsvc.deb
  check "upgrade keeps pwsvcd.service disabled" unit_is enabled pwsvcd.service disabled
  check "socket listens after that upgrade" unit_is active pwsvcd.socket active
  check "readyz returns 200 after that upgrade" [ "$(readyz_status)" = 200 ]
  inside systemctl enable --quiet pwsvcd.service
}

check_remove_and_purge() {
  inside dpkg --remove pwsvc
  check "remove stops pwsvcd.socket" unit_is active pwsvcd.socket inactive
  check "remove stops pwsvcd.service" unit_is active pwsvcd.service inactive
  check "remove masks pwsvcd.service" unit_is enabled pwsvcd.service masked

  inside dpkg --purge pwsvc
  check "purge deletes user pwsvc" [ -z "$(inside getent passwd pwsvc || true)" ]
  local left
  left=$(inside find /etc/systemd/system /var/lib/systemd/deb-systemd-helper-enabled \
    -name 'pwsvcd.*')
  check "purge leaves no unit state" [ -z "$left" ]
  check "no unit failed" [ -z "$(inside systemctl --failed --no-legend --plain)" ]
}

main() {
  [[ $# -ge 1 && $# -le 2 ]] || die "usage: check-deb-in-nspawn.sh PACKAGE.deb [CONTAINER_ROOT]"
  [[ $EUID -eq 0 ]] || die "run as root, because debootstrap and systemd-nspawn need it"
  [[ -f "$1" ]] || die "'$1' is not a file. Build the package with 'make package'."
  command -v debootstrap >/dev/null || die "debootstrap is missing. Install it with apt-get install debootstrap."
  command -v systemd-nspawn >/dev/null ||
    die "systemd-nspawn is missing. Install it with apt-get install systemd-container."

  local deb
  deb=$(readlink -f "$1")
  root=$(readlink -m "${2:-/var/tmp/pwsvc-deb-nspawn}")
  install_tree "$deb"
  install -m 0644 "$deb" "$root/root/pwsvc.deb"
  trap stop_container EXIT
  boot_container
  local status
  # shellcheck disable=SC2016 # ${db:Status-Status} is a dpkg-query field
  status=$(inside dpkg-query -W -f='${db:Status-Status}' pwsvc 2>/dev/null || true)
  if [[ -n "$status" && "$status" != not-installed ]]; then
    inside dpkg --purge pwsvc
  fi

  check_install
  check_upgrade
  check_remove_and_purge
  echo "$passed passed, $failed failed"
  ((failed == 0))
}

main "$@"
