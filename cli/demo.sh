#!/bin/sh
# A short tour of pwsvc: hash a password, verify it, verify hashes made by
# other tools, identify a few stored hashes and reject a weak new password.
# Usage: demo.sh PATH-TO-PWSVC
set -eu
pwsvc=${1:-pwsvc}

step() {
  printf '\n== %s\n' "$1"
}

step "Hash 'correct horse battery staple' under the default policy (Argon2id, OWASP minimum)"
hash=$(printf 'correct horse battery staple\n' | "$pwsvc" hash)
echo "$hash"

step "Verify it: the right password, then a wrong one (exit status 0, then 1)"
printf 'correct horse battery staple\n' | "$pwsvc" verify "$hash" && echo "exit $?"
printf 'Correct horse battery staple\n' | "$pwsvc" verify "$hash" || echo "exit $?"

step "Verify hashes made by other tools"
verify_foreign() {
  tool=$1 password=$2 stored=$3
  printf '%-28s ' "$tool:"
  printf '%s' "$password" | "$pwsvc" verify "$stored"
}
verify_foreign "node argon2 (m,p,t order)" 'correct horse battery staple' \
  '$argon2id$v=19$m=8192,p=1,t=2$xka/QQG8bgmGjZ8FZWBgDA$NC9c9rYo5LWiq/wrZt9vj5gpeqADHCcbIhr80PeeKkE'
verify_foreign "PHP password_hash bcrypt" '' \
  '$2y$05$QDWDNCP2nLds4.kyN1fqq.nB6zWMbeAQ5k8kjtnPX4sdPKpRoG0lC'
verify_foreign "Werkzeug pbkdf2:sha256" 'correct horse battery staple' \
  'pbkdf2:sha256:260000$C4OMlKHrpiqKY0kC$04ce35e460cb6eaacf139d7ffd7aa8ed47a33a738cc7d2df3447723c3903bd6d'
verify_foreign "mkpasswd yescrypt" '  pa ss:wo$rd:  ' \
  '$y$j9T$90KHkW.bXpLyAz.oFxYf01$6N1P1fD3uRE2GIDtEkDm5qfZrCDVjRKm.OIpvsYf2j3'
verify_foreign "htpasswd apr1" 'foobar' '$apr1$Y.zMz2n3$6Xll.Te9q6GYig6HHpPgW/'
verify_foreign "slappasswd {SSHA}" '  pa ss:wo$rd:  ' '{SSHA}1c0bsfzT8Dqw316UX8o6fJ6WvQKO64gT'

step "Identify a stored hash: scheme, parameters and the policy's verdict"
"$pwsvc" identify '$2a$12$CPeaPhxqTrBzJXP1KB1C/.t.2TJ7EzHhyCCmiLKAEKZovzmvdMwge'

step "A hostile stored hash is rejected before any work (exit status 2)"
printf 'x\n' | "$pwsvc" verify '$argon2id$v=19$m=2097152,t=2,p=1$g4QhOSMvrE8lFiZi9WTvZQ$ehMZM/XPHwJQ9NLsMqKl5J1ovYtOk6uKWiYB2/DyyVY' \
  || echo "exit $?"

step "A new password that breaks the password policy is rejected (exit status 5)"
printf 'qwerty2024\n' | "$pwsvc" hash || echo "exit $?"
printf 'qwerty2024\n' | "$pwsvc" check-password || echo "exit $?"
