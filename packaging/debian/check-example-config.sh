#!/bin/sh
# Checks the example /etc/pwsvc/pwsvc.toml of the Debian package: pwsvc must
# accept it as shipped and with every setting uncommented, and pwsvc.toml(5)
# must describe every key that it shows.
#
# Usage: check-example-config.sh PWSVC EXAMPLE_TOML MAN_PAGE
# Exits 0 when every check passes and 1 otherwise.
set -eu

[ $# -eq 3 ] || { echo "usage: check-example-config.sh PWSVC EXAMPLE_TOML MAN_PAGE" >&2; exit 2; }
pwsvc=$1
example=$2
man_page=$3

uncommented=$(mktemp)
trap 'rm -f "$uncommented"' EXIT

# A line that starts with "#" and then a letter or "[" is a setting.
sed 's/^#\([a-z[]\)/\1/' "$example" >"$uncommented"

# config check opens the keyring and the breach index that a config names,
# and the example's paths do not exist where this runs. So those two lines
# are left out of the check, and their keys are still looked up below.
checked=$(mktemp)
trap 'rm -f "$uncommented" "$checked"' EXIT
grep -v '^\(keyring\|breach_index\) = ' "$uncommented" >"$checked"

status=0
"$pwsvc" config check "$example" || status=1
"$pwsvc" config check "$checked" || status=1

keys=$(sed -n 's/^\([a-z_]*\) = .*/\1/p' "$uncommented")
for key in $keys; do
  if ! grep -q "^\.It Ic $key\( \|$\)" "$man_page"; then
    echo "check-example-config: error: key '$key' of $example is not described in $man_page" >&2
    status=1
  fi
done
exit $status
