#!/bin/bash
# Installs the pwsvc Debian package on this machine, checks what it installed,
# then removes and purges it and checks that nothing of it is left.
#
# Usage: test-package.sh PACKAGE.deb
#
# Needs root and changes the system, so run it on a throwaway machine or
# container. It exits with status 2 when a package, user or group named pwsvc
# exists that an earlier run of this script did not create. A run that died
# half-way leaves a marker file, so the next run purges that run's package.
# apt-get installs missing dependencies, which needs the configured mirror
# only when a dependency is not installed yet.
# Exits 0 when every check passes, 1 when a check fails, and 2 when the test
# cannot run.
set -euo pipefail

readonly package=pwsvc
readonly user=pwsvc
readonly config_file=/etc/pwsvc/pwsvc.toml
readonly marker=/var/lib/pwsvc-test-package.installed
readonly helper_state=/var/lib/systemd/deb-systemd-helper-enabled

passed=0
failed=0
deb=
version=
work_dir=
daemon_pid=

die() {
  echo "test-package: error: $*" >&2
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

# Prints the dpkg status of the package, such as installed or config-files,
# or not-installed when dpkg has no record of it.
package_status() {
  local status
  status=$(dpkg-query -W -f='${db:Status-Status}' "$package" 2>/dev/null) || status=not-installed
  echo "${status:-not-installed}"
}

# A package or account named pwsvc that this script did not create may belong
# to a real installation, and the purge at the end would delete it.
reject_foreign_install() {
  if [[ -e "$marker" ]]; then
    if [[ "$(package_status)" != not-installed ]]; then
      echo "test-package: purging the package left by an earlier run ($(cat "$marker"))"
      dpkg --purge "$package"
    fi
    rm -f "$marker"
    return
  fi
  if [[ "$(package_status)" != not-installed ]]; then
    die "package $package is already on this machine (status $(package_status)) and this" \
      "script did not install it. Purge it with 'dpkg --purge $package' first, or run the" \
      "test on a throwaway machine."
  fi
  if getent passwd "$user" >/dev/null || getent group "$user" >/dev/null; then
    die "a user or group named $user exists, and purging the package would delete it." \
      "Run the test on a machine without that account."
  fi
}

cleanup() {
  if [[ -n "$daemon_pid" ]]; then
    kill "$daemon_pid" 2>/dev/null || true
    wait "$daemon_pid" 2>/dev/null || true
  fi
  if [[ -n "$work_dir" ]]; then
    rm -rf "$work_dir"
  fi
  if [[ -e "$marker" ]]; then
    if [[ "$(package_status)" != not-installed ]]; then
      dpkg --purge "$package" >/dev/null 2>&1 || true
    fi
    rm -f "$marker"
  fi
}

# The lists are read into variables before grep, because grep -q closes the
# pipe early and pipefail would count the SIGPIPE of the writer as a result.
contains_line() {
  grep -qx -- "$2" <<<"$1"
}

has_no_bootstrap() {
  ! grep -q 'bootstrap$' <<<"$1"
}

check_archive() {
  local contents path
  contents=$(dpkg-deb --contents "$deb" | awk '{ print $NF }')
  for path in ./usr/bin/pwsvc ./usr/sbin/pwsvcd ./etc/pwsvc/pwsvc.toml \
    ./lib/systemd/system/pwsvcd.service ./lib/systemd/system/pwsvcd.socket \
    ./usr/share/man/man1/pwsvc.1.gz ./usr/share/man/man5/pwsvc.toml.5.gz \
    ./usr/share/man/man8/pwsvcd.8.gz; do
    check "package contains ${path#.}" contains_line "$contents" "$path"
  done
  check "package contains no Lambda bootstrap" has_no_bootstrap "$contents"
}

install_package() {
  echo "$version installed at $(date -u +%FT%TZ)" >"$marker"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "$deb"
}

prints() {
  local expected=$1
  shift
  local output
  output=$("$@" 2>&1) || return 1
  [[ "$output" == "$expected" ]] || { echo "  got: $output" >&2; return 1; }
}

user_is_system_account() {
  local entry uid home shell
  entry=$(getent passwd "$user") || return 1
  IFS=: read -r _ _ uid _ _ home shell <<<"$entry"
  echo "  passwd: $entry"
  ((uid < 1000)) && [[ "$home" == /nonexistent && ! -e /nonexistent ]] &&
    [[ "$shell" == /usr/sbin/nologin ]] && getent group "$user" >/dev/null
}

conffile_listed() {
  local conffiles
  conffiles=$(dpkg-query -W -f='${Conffiles}\n' "$package" | awk '{ print $1 }')
  contains_line "$conffiles" "$config_file"
}

has_owner_and_mode() {
  local expected=$1 path=$2
  [[ "$(stat -c '%U:%G %a' "$path")" == "$expected" ]]
}

# The system config contains no secret and is world-readable, so any user
# can run pwsvc with it.
other_user_reads_the_config() {
  local hash
  hash=$(printf 'package test' | /usr/bin/pwsvc hash -a bcrypt -P cost=4) || return 1
  setpriv --reuid=nobody --regid=nogroup --clear-groups -- \
    /usr/bin/pwsvc identify "$hash" >/dev/null
}

units_enabled() {
  if [[ -d /run/systemd/system ]]; then
    systemctl is-enabled --quiet pwsvcd.socket && systemctl is-enabled --quiet pwsvcd.service
  else
    [[ -L /etc/systemd/system/sockets.target.wants/pwsvcd.socket &&
      -L /etc/systemd/system/multi-user.target.wants/pwsvcd.service ]]
  fi
}

# Starts the installed daemon as the pwsvc user on a socket in a private
# directory, so the test needs no systemd and touches no system socket.
start_daemon() {
  chown "$user:$user" "$work_dir"
  # setpriv execs the daemon, so $! is the daemon itself and gets the signal.
  setpriv --reuid="$user" --regid="$user" --init-groups -- /usr/sbin/pwsvcd \
    --config "$config_file" --listen "unix:$work_dir/pwsvcd.sock" 2>"$work_dir/pwsvcd.log" &
  daemon_pid=$!
  for _ in $(seq 100); do
    [[ -S "$work_dir/pwsvcd.sock" ]] && return 0
    kill -0 "$daemon_pid" 2>/dev/null || break
    sleep 0.1
  done
  cat "$work_dir/pwsvcd.log" >&2
  return 1
}

request() {
  curl --silent --show-error --max-time 10 --unix-socket "$work_dir/pwsvcd.sock" \
    --write-out ' %{http_code}' "$@"
}

daemon_hashes() {
  local reply
  reply=$(request --header 'Content-Type: application/json' \
    --data '{"password":"package test"}' http://localhost/v1/hash) || return 1
  echo "  hash: $reply"
  # shellcheck disable=SC2016 # the dollar signs are part of the PHC string
  [[ "$reply" == *'"hash":"$argon2id$v=19$m=19456,t=2,p=1$'*' 200' ]]
}

stop_daemon() {
  kill -TERM "$daemon_pid"
  local status=0
  wait "$daemon_pid" || status=$?
  daemon_pid=
  [[ $status -eq 0 ]]
}

check_installed() {
  check "package status is installed" [ "$(package_status)" = installed ]
  check "pwsvc --version prints $version" prints "pwsvc ${version%%-*}" /usr/bin/pwsvc --version
  check "pwsvcd --version prints $version" prints "pwsvcd ${version%%-*}" /usr/sbin/pwsvcd --version
  check "man -w pwsvc finds section 1" prints /usr/share/man/man1/pwsvc.1.gz man -w pwsvc
  check "man -w pwsvc.toml finds section 5" \
    prints /usr/share/man/man5/pwsvc.toml.5.gz man -w pwsvc.toml
  check "man -w pwsvcd finds section 8" prints /usr/share/man/man8/pwsvcd.8.gz man -w pwsvcd
  check "user pwsvc is a system account with group pwsvc" user_is_system_account
  check "conffile is listed by dpkg-query" conffile_listed
  check "config file is root:root mode 0644" has_owner_and_mode "root:root 644" "$config_file"
  check "config check passes" /usr/bin/pwsvc config check "$config_file"
  check "user pwsvc can read the config" runuser -u "$user" -- /usr/bin/pwsvc config check "$config_file"
  check "another user can run pwsvc with the config" other_user_reads_the_config
  check "units are enabled" units_enabled
  check "daemon starts as pwsvc with the installed config" start_daemon
  if [[ -n "$daemon_pid" ]]; then
    check "daemon hashes with the default policy" daemon_hashes
    check "daemon stops with status 0 on SIGTERM" stop_daemon
  fi
}

# Reinstalls the same version over an edited config: dpkg must keep the
# admin's edit, and postinst must keep the owner and mode.
check_reinstall() {
  echo "# edited by test-package" >>"$config_file"
  check "reinstall over an edited config exits 0" dpkg -i "$deb"
  check "reinstall keeps the edited config" grep -qx '# edited by test-package' "$config_file"
  check "reinstall keeps root:root mode 0644" has_owner_and_mode "root:root 644" "$config_file"
}

unit_masked() {
  [[ "$(readlink "/etc/systemd/system/$1")" == /dev/null ]]
}

check_remove() {
  check "dpkg --remove exits 0" dpkg --remove "$package"
  check "package status is config-files" [ "$(package_status)" = config-files ]
  check "remove deletes pwsvc" [ ! -e /usr/bin/pwsvc ]
  check "remove keeps the config" [ -f "$config_file" ]
  check "remove keeps user pwsvc" getent passwd "$user"
  check "remove masks pwsvcd.service" unit_masked pwsvcd.service
  check "remove masks pwsvcd.socket" unit_masked pwsvcd.socket
}

# Prints each path of the package that still exists. A directory counts only
# when no other package owns it and it is not a symbolic link, such as /lib
# on a merged-/usr system, because dpkg never creates those for a package.
leftover_paths() {
  local path
  while read -r path; do
    [[ "$path" != /. ]] || continue
    [[ -e "$path" || -L "$path" ]] || continue
    if [[ -d "$path" ]]; then
      [[ -L "$path" ]] && continue
      dpkg-query -S "$path" >/dev/null 2>&1 && continue
    fi
    echo "$path"
  done <"$1"
}

no_leftover_paths() {
  local left
  left=$(leftover_paths "$1")
  [[ -z "$left" ]] || { echo "  left: $left" >&2; return 1; }
}

no_unit_state() {
  local left
  left=$(find /etc/systemd/system "$helper_state" /var/lib/systemd/deb-systemd-helper-masked \
    -name 'pwsvcd.*' 2>/dev/null)
  [[ -z "$left" ]] || { echo "  left: $left" >&2; return 1; }
}

check_purge() {
  local paths=$1
  check "dpkg --purge exits 0" dpkg --purge "$package"
  check "package status is not-installed" [ "$(package_status)" = not-installed ]
  check "no file of the package is left" no_leftover_paths "$paths"
  check "/etc/pwsvc is gone" [ ! -e /etc/pwsvc ]
  check "user pwsvc is gone" bash -c "! getent passwd $user"
  check "group pwsvc is gone" bash -c "! getent group $user"
  check "no unit enablement or mask is left" no_unit_state
}

main() {
  [[ $# -eq 1 ]] || die "usage: test-package.sh PACKAGE.deb"
  [[ $EUID -eq 0 ]] || die "run as root, because the test installs and purges a package"
  [[ -f "$1" ]] || die "'$1' is not a file. Build the package with 'make package'."
  local tool
  for tool in dpkg-deb apt-get man curl runuser setpriv; do
    command -v "$tool" >/dev/null || die "$tool is missing. Install it with apt-get."
  done

  deb=$(readlink -f "$1")
  [[ "$(dpkg-deb -f "$deb" Package)" == "$package" ]] || die "'$1' is not a $package package"
  version=$(dpkg-deb -f "$deb" Version)
  reject_foreign_install
  trap cleanup EXIT
  work_dir=$(mktemp -d)

  check_archive
  install_package || die "installing $deb failed; see the apt-get output above"
  dpkg-query -L "$package" >"$work_dir/paths"
  check_installed
  check_reinstall
  check_remove
  check_purge "$work_dir/paths"
  rm -f "$marker"

  echo "$passed passed, $failed failed"
  ((failed == 0))
}

main "$@"
