#!/bin/bash
# Boots a Debian 12 container under systemd-nspawn and checks that pwsvcd works
# under the sandboxing of the pwsvcd.service and pwsvcd.socket beside this script.
#
# Usage: check-in-nspawn.sh PWSVCD_BINARY [CONTAINER_ROOT]
#
# Needs root on a Debian 12 host with debootstrap and systemd-nspawn. The first
# run installs a minimal bookworm (about 260 MB) into CONTAINER_ROOT, default
# /var/tmp/pwsvc-nspawn, from $DEBIAN_MIRROR or else the host's configured
# bookworm mirror. Later runs reuse that tree: they replace the binary, the
# units and the config, and install any library package a newer binary needs.
# The container has a private network with loopback only.
# Exits 0 when every check passes, 1 when a check fails, and 2 or the status of
# the failed command when the setup fails.
set -euo pipefail

unit_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
readonly unit_dir
readonly machine=pwsvc-check
readonly client_user=pwsvc-client
readonly socket_path=/run/pwsvc/pwsvcd.sock
# A fixed key for the TCP checks, which guards nothing outside the container.
readonly api_key=pwsvc_nspawn-check-key
# systemd 252 scores the shipped units 1.2, so a higher score means a weaker sandbox.
readonly max_exposure=1.5

passed=0
failed=0
nspawn_pid=
leader_pid=
work_dir=

die() {
  echo "check-in-nspawn: error: $*" >&2
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

# Matches TEXT against a shell glob PATTERN, for use as a command in check.
matches() {
  # shellcheck disable=SC2053 # the unquoted right side is the glob
  [[ "$1" == $2 ]]
}

# Prints the Debian packages that hold the shared libraries the binary loads.
library_packages() {
  local library
  ldd "$1" | awk '/=> \// { print $3 }' | while read -r library; do
    dpkg -S "$library" 2>/dev/null || dpkg -S "$(readlink -f "$library")" ||
      die "no Debian package owns $library"
  done | cut -d: -f1 | sort -u
}

debian_mirror() {
  if [[ -n "${DEBIAN_MIRROR:-}" ]]; then
    echo "$DEBIAN_MIRROR"
    return
  fi
  apt-get indextargets --format '$(REPO_URI)' 'Identifier: Packages' 'Codename: bookworm' \
    'Label: Debian' | awk 'NR == 1'
}

install_tree() {
  local root=$1
  local packages=$2
  if [[ -d "$root/debootstrap" ]]; then
    die "$root contains an unfinished debootstrap. Remove it and run again."
  fi
  if [[ -x "$root/usr/lib/systemd/systemd" ]]; then
    local missing=()
    local package
    for package in $packages; do
      chroot "$root" dpkg-query -W -f '${db:Status-Status}' "$package" 2>/dev/null |
        grep -qx installed || missing+=("$package")
    done
    if ((${#missing[@]} > 0)); then
      chroot "$root" apt-get update
      chroot "$root" apt-get install -y --no-install-recommends "${missing[@]}"
    fi
    return
  fi

  local mirror
  mirror=$(debian_mirror)
  [[ -n "$mirror" ]] || die "no bookworm mirror found in the apt sources. Set DEBIAN_MIRROR to a Debian mirror URL."
  debootstrap --variant=minbase --include="${packages// /,}" bookworm "$root" "$mirror"
}

write_config() {
  local daemon_table=${1:-}
  cat >"$root/etc/pwsvc/pwsvc.toml" <<EOF
[policy.argon2id]
m = 64
t = 1
p = 1

[logging]
level = "info"
$daemon_table
EOF
}

configure_tree() {
  local binary=$1
  install -m 0755 "$binary" "$root/usr/sbin/pwsvcd"
  install -m 0644 "$unit_dir/pwsvcd.service" "$unit_dir/pwsvcd.socket" "$root/etc/systemd/system/"
  rm -rf "$root/etc/systemd/system/pwsvcd.socket.d" "$root/etc/systemd/system/pwsvcd.service.d"

  chroot "$root" sh -c "getent passwd pwsvc >/dev/null || useradd --system --user-group \
    --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin pwsvc"
  chroot "$root" sh -c "getent passwd $client_user >/dev/null || useradd --system --user-group \
    --groups pwsvc --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin $client_user"

  mkdir -p "$root/etc/pwsvc"
  write_config
  chroot "$root" chown root:pwsvc /etc/pwsvc/pwsvc.toml
  chmod 0640 "$root/etc/pwsvc/pwsvc.toml"
  chroot "$root" systemctl enable pwsvcd.socket pwsvcd.service
}

stop_container() {
  if [[ -n "$nspawn_pid" ]] && kill -0 "$nspawn_pid" 2>/dev/null; then
    # systemd-nspawn turns SIGTERM into a clean shutdown. A SIGTERM sent early
    # in the boot was lost in a test run, so repeat it and end with SIGKILL.
    local seconds
    for seconds in $(seq 60); do
      kill -0 "$nspawn_pid" 2>/dev/null || break
      ((seconds % 10 == 1)) && kill -TERM "$nspawn_pid"
      sleep 1
    done
    kill -KILL "$nspawn_pid" 2>/dev/null || true
    wait "$nspawn_pid" || true
  fi
  nspawn_pid=
  if [[ -n "$work_dir" ]]; then
    rm -rf "$work_dir"
  fi
}

boot_container() {
  local options=(--boot --directory="$root" --machine="$machine" --private-network
                 --console=passive)
  # Without systemd as PID 1 on the host there is no bus to register the
  # machine or to create a scope unit, so nspawn must stay in its own cgroup.
  if [[ ! -d /run/systemd/system ]]; then
    options+=(--register=no --keep-unit)
  fi
  work_dir=$(mktemp -d)
  systemd-nspawn "${options[@]}" </dev/null >"$work_dir/nspawn.log" 2>&1 &
  nspawn_pid=$!

  # The container's init is the child of systemd-nspawn that is PID 1 in its
  # own PID namespace. A short-lived helper child comes before it.
  local child
  for _ in $(seq 200); do
    for child in $(ps -o pid= --ppid "$nspawn_pid"); do
      if [[ "$(awk '/^NSpid:/ { print $NF }' "/proc/$child/status" 2>/dev/null)" == 1 ]]; then
        leader_pid=$child
      fi
    done
    [[ -n "$leader_pid" ]] && break
    kill -0 "$nspawn_pid" 2>/dev/null || break
    sleep 0.1
  done
  if [[ -z "$leader_pid" ]]; then
    cat "$work_dir/nspawn.log" >&2
    die "systemd-nspawn did not start the container"
  fi

  # systemctl fails until the container's manager accepts connections.
  local state=
  for _ in $(seq 120); do
    state=$(inside systemctl is-system-running --wait 2>/dev/null) || true
    [[ "$state" == running || "$state" == degraded ]] && break
    sleep 1
  done
  echo "container: pid $leader_pid, state $state, cgroup file system" \
    "$(inside stat -f -c %T /sys/fs/cgroup)"
  if [[ "$state" != running && "$state" != degraded ]]; then
    cat "$work_dir/nspawn.log" >&2
    die "the container did not finish booting (state '$state')"
  fi
  inside systemctl --failed --no-pager --no-legend
}

# Sends a request over the Unix socket as USER and prints the body and status.
request_unix() {
  local user=$1 method=$2 path=$3 body=${4:-}
  local arguments=(--silent --show-error --max-time 10 --write-out ' %{http_code}'
                   --unix-socket "$socket_path" --request "$method")
  [[ -n "$body" ]] && arguments+=(--header 'Content-Type: application/json' --data "$body")
  inside runuser -u "$user" -- curl "${arguments[@]}" "http://localhost$path" || true
}

request_tcp() {
  local port=$1 key=$2
  local arguments=(--silent --show-error --max-time 10 --write-out ' %{http_code}'
                   --header 'Content-Type: application/json' --data '{"password":"pw"}')
  [[ -n "$key" ]] && arguments+=(--header "Authorization: Bearer $key")
  inside curl "${arguments[@]}" "http://127.0.0.1:$port/v1/hash" || true
}

main_pid() {
  inside systemctl show --property=MainPID --value pwsvcd.service
}

service_property() {
  inside systemctl show --property="$1" --value pwsvcd.service
}

journal_has() {
  # Reads the whole journal before grep, because grep -q closes the pipe early
  # and pipefail would count the SIGPIPE of journalctl as a failure.
  local journal
  journal=$(inside journalctl --boot --unit=pwsvcd.service --no-pager --output=cat)
  grep -q -- "$1" <<<"$journal"
}

runs_sandboxed() {
  local status
  status=$(inside cat "/proc/$(main_pid)/status")
  grep -qx $'NoNewPrivs:\t1' <<<"$status" &&
    grep -qx $'Seccomp:\t2' <<<"$status" &&
    grep -qx $'CapEff:\t0000000000000000' <<<"$status" &&
    [[ "$(inside stat -c %U "/proc/$(main_pid)")" == pwsvc ]]
}

check_unix_socket() {
  inside systemctl status --no-pager pwsvcd.socket pwsvcd.service || true
  check "socket unit is active" inside systemctl is-active --quiet pwsvcd.socket
  check "service unit is active" inside systemctl is-active --quiet pwsvcd.service
  check "daemon runs with no new privileges, seccomp and no capabilities" runs_sandboxed

  local reply hash
  reply=$(request_unix root POST /v1/hash '{"password":"pw"}')
  echo "hash: $reply"
  check "hash over the Unix socket returns 200" [ "${reply##* }" = 200 ]
  hash=$(sed -n 's/.*"hash":"\([^"]*\)".*/\1/p' <<<"$reply")
  check "hash uses the configured argon2id cost" matches "$hash" '$argon2id$v=19$m=64,t=1,p=1$*'

  reply=$(request_unix root POST /v1/verify "{\"password\":\"pw\",\"hash\":\"$hash\"}")
  echo "verify right password: $reply"
  check "verify matches the right password" matches "$reply" '*"match":true* 200'
  reply=$(request_unix root POST /v1/verify "{\"password\":\"wrong\",\"hash\":\"$hash\"}")
  echo "verify wrong password: $reply"
  check "verify rejects a wrong password" matches "$reply" '*"match":false* 200'
}

check_reload() {
  local reply before
  reply=$(request_unix "$client_user" GET /readyz)
  check "client outside daemon.allowed_uids gets 403" [ "${reply##* }" = 403 ]

  local client_uid key_hash
  client_uid=$(inside id -u "$client_user")
  key_hash=$(printf '%s' "$api_key" | sha256sum | cut -d' ' -f1)
  write_config "
[daemon]
allowed_uids = [0, $client_uid]

[[daemon.api_keys]]
name = \"nspawn-check\"
hash = \"sha256:$key_hash\""
  before=$(main_pid)
  check "systemctl reload exits 0" inside systemctl reload pwsvcd.service
  sleep 1
  check "reload keeps the same main process" [ "$(main_pid)" = "$before" ]
  check "journal records the reload" journal_has '"event":"reloaded"'
  reply=$(request_unix "$client_user" GET /readyz)
  check "reloaded config admits the client" [ "${reply##* }" = 200 ]
}

check_stop_and_activation() {
  check "systemctl stop exits 0" inside systemctl stop pwsvcd.service
  check "daemon exited with status 0" [ "$(service_property ExecMainStatus)" = 0 ]
  check "service result is success" [ "$(service_property Result)" = success ]
  check "journal records draining" journal_has '"event":"draining"'
  check "journal records the stop" journal_has '"event":"stopped"'

  local reply
  reply=$(request_unix root GET /readyz)
  check "socket activation restarts the stopped daemon" [ "${reply##* }" = 200 ]

  # This repeats a fresh boot with only the socket enabled. The socket unit
  # creates the directory, and a client in group pwsvc must reach the socket.
  inside systemctl stop pwsvcd.socket pwsvcd.service
  inside rm -rf /run/pwsvc
  inside systemctl start pwsvcd.socket
  inside stat -c '%A %U:%G %n' /run/pwsvc "$socket_path"
  reply=$(request_unix "$client_user" GET /readyz)
  check "group member activates the daemon through a fresh socket directory" \
    [ "${reply##* }" = 200 ]
}

check_tcp() {
  local dropin=/etc/systemd/system/pwsvcd.socket.d
  mkdir -p "$root$dropin"
  printf '[Socket]\nListenStream=127.0.0.1:8080\n' >"$root$dropin/tcp.conf"
  inside systemctl daemon-reload
  inside systemctl stop pwsvcd.service pwsvcd.socket
  inside systemctl start pwsvcd.socket

  local reply
  reply=$(request_tcp 8080 "")
  check "activated TCP listener rejects a request without API key" [ "${reply##* }" = 401 ]
  reply=$(request_tcp 8080 "$api_key")
  check "activated TCP listener hashes with an API key" [ "${reply##* }" = 200 ]
  reply=$(request_unix root POST /v1/hash '{"password":"pw"}')
  check "Unix socket still works beside the TCP socket" [ "${reply##* }" = 200 ]

  # Without the socket unit the daemon binds daemon.listen itself.
  inside systemctl stop pwsvcd.service pwsvcd.socket
  rm -rf "${root:?}$dropin"
  rm "$root/etc/systemd/system/pwsvcd.socket"
  inside systemctl daemon-reload
  sed -i "s|^\[daemon\]|[daemon]\nlisten = [\"unix:$socket_path\", \"127.0.0.1:8081\"]|" \
    "$root/etc/pwsvc/pwsvc.toml"
  check "daemon starts without socket activation" inside systemctl start pwsvcd.service
  reply=$(request_tcp 8081 "$api_key")
  check "self-bound TCP listener hashes with an API key" [ "${reply##* }" = 200 ]
  reply=$(request_unix root POST /v1/hash '{"password":"pw"}')
  check "self-bound Unix listener hashes" [ "${reply##* }" = 200 ]

  inside systemctl stop pwsvcd.service
  install -m 0644 "$unit_dir/pwsvcd.socket" "$root/etc/systemd/system/"
  inside systemctl daemon-reload
  sed -i '/^listen = /d' "$root/etc/pwsvc/pwsvc.toml"
  inside systemctl start pwsvcd.socket pwsvcd.service
}

check_exposure() {
  local report score
  report=$(inside systemd-analyze security --no-pager pwsvcd.service 2>&1 || true)
  grep -v '^✓' <<<"$report"
  score=$(sed -n 's/.*Overall exposure level for pwsvcd.service: \([0-9.]*\).*/\1/p' <<<"$report")
  check "exposure score $score is at most $max_exposure" \
    awk -v score="$score" -v limit="$max_exposure" 'BEGIN { exit !(score != "" && score <= limit) }'
}

# systemd logs "status=31/SYS" when seccomp kills a process for a filtered call.
no_seccomp_kill() {
  ! journal_has 'status=31/SYS'
}

check_journal() {
  echo "journal of pwsvcd.service:"
  inside journalctl --boot --unit=pwsvcd.service --no-pager --output=short-monotonic
  check "no seccomp kill in the journal" no_seccomp_kill
}

main() {
  [[ $# -ge 1 && $# -le 2 ]] || die "usage: check-in-nspawn.sh PWSVCD_BINARY [CONTAINER_ROOT]"
  [[ $EUID -eq 0 ]] || die "run as root, because debootstrap, chroot and systemd-nspawn need it"
  [[ -x "$1" ]] || die "'$1' is not an executable file"
  command -v debootstrap >/dev/null || die "debootstrap is missing. Install it with apt-get install debootstrap."
  command -v systemd-nspawn >/dev/null ||
    die "systemd-nspawn is missing. Install it with apt-get install systemd-container."

  local binary
  binary=$(readlink -f "$1")
  root=$(readlink -m "${2:-/var/tmp/pwsvc-nspawn}")
  local packages
  packages="systemd systemd-sysv dbus curl $(library_packages "$binary" | paste -sd " " -)"

  install_tree "$root" "$packages"
  configure_tree "$binary"
  trap stop_container EXIT
  boot_container

  check_unix_socket
  check_reload
  check_stop_and_activation
  check_tcp
  check_exposure
  check_journal

  echo "$passed passed, $failed failed"
  ((failed == 0))
}

main "$@"
