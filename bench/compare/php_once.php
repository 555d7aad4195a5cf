<?php
// One password_hash or password_verify call per PHP process, for timing the
// whole process. The password is read from stdin, byte for byte.
// Usage: php php_once.php hash argon2id|bcrypt < password.txt
//        php php_once.php verify HASH < password.txt

$password = file_get_contents('php://stdin');
$algorithms = [
    'argon2id' => [PASSWORD_ARGON2ID, ['memory_cost' => 19456, 'time_cost' => 2, 'threads' => 1]],
    'bcrypt' => [PASSWORD_BCRYPT, ['cost' => 12]],
];

if (($argv[1] ?? '') === 'hash' && isset($algorithms[$argv[2] ?? ''])) {
    [$algorithm, $options] = $algorithms[$argv[2]];
    echo password_hash($password, $algorithm, $options), "\n";
    exit(0);
}
if (($argv[1] ?? '') === 'verify' && isset($argv[2])) {
    exit(password_verify($password, $argv[2]) ? 0 : 1);
}
fwrite(STDERR, "usage: php php_once.php hash argon2id|bcrypt | verify HASH < password.txt\n");
exit(2);
