<?php
// Times PHP's password_hash and password_verify inside one PHP process.
// Usage: php php_kdf.php [SAMPLES]. Each sample runs every contender once, in
// an order that rotates from sample to sample. Prints one JSON object with
// every sample in milliseconds.

$samples = max(1, (int) ($argv[1] ?? 15));
$password = 'correct horse battery staple';
$workloads = [
    'argon2id m=19456 t=2 p=1' => [
        PASSWORD_ARGON2ID, ['memory_cost' => 19456, 'time_cost' => 2, 'threads' => 1],
    ],
    'bcrypt cost=12' => [PASSWORD_BCRYPT, ['cost' => 12]],
];

$contenders = [];
foreach ($workloads as $group => [$algorithm, $options]) {
    $stored = password_hash($password, $algorithm, $options);
    $contenders[] = [
        'group' => $group,
        'contender' => 'PHP password_hash',
        'call' => fn () => is_string(password_hash($password, $algorithm, $options)),
    ];
    $contenders[] = [
        'group' => $group,
        'contender' => 'PHP password_verify',
        'call' => fn () => password_verify($password, $stored),
    ];
}

function time_ms(callable $call): float
{
    $start = hrtime(true);
    if (!$call()) {
        fwrite(STDERR, "php_kdf: error: a password call failed\n");
        exit(1);
    }
    return (hrtime(true) - $start) / 1e6;
}

foreach ($contenders as $contender) {
    time_ms($contender['call']);
}
$times = array_fill(0, count($contenders), []);
for ($sample = 0; $sample < $samples; ++$sample) {
    for ($step = 0; $step < count($contenders); ++$step) {
        $index = ($sample + $step) % count($contenders);
        $times[$index][] = round(time_ms($contenders[$index]['call']), 3);
    }
}

$results = [];
foreach ($contenders as $index => $contender) {
    $results[] = [
        'group' => $contender['group'],
        'contender' => $contender['contender'],
        'samples_ms' => $times[$index],
    ];
}
echo json_encode(['mode' => 'php', 'version' => PHP_VERSION, 'results' => $results]), "\n";
