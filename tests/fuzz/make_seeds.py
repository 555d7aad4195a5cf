#!/usr/bin/env python3
"""Write the seed corpus of every fuzz target into OUTDIR/<target>/.

The seeds come from the third-party vectors in tests/vectors/*.jsonl, and
from small hand-written requests, configs and audit rows below. They are
generated on each run instead of being committed, one file per input.
"""

import base64
import gzip
import hashlib
import json
import pathlib
import sys

HERE = pathlib.Path(__file__).resolve().parent
VECTORS = HERE.parent / "vectors"
API_KEY = "fuzz-api-key"


def read_vectors():
    """Return (password bytes, stored hash) for every vector line."""
    pairs = []
    for path in sorted(VECTORS.glob("*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                vector = json.loads(line)
                password = base64.b64decode(vector.get("password_b64", ""))
                pairs.append((password, vector["hash"]))
    return pairs


def write(directory, inputs):
    directory.mkdir(parents=True, exist_ok=True)
    for data in inputs:
        if isinstance(data, str):
            data = data.encode("utf-8", "surrogateescape")
        name = hashlib.sha1(data).hexdigest()
        (directory / name).write_bytes(data)


def identify_seeds(pairs):
    return [stored for _, stored in pairs] + ["", "*", "!", "!!", "*LK*", "!$6$x$y"]


def verify_seeds(pairs):
    seeds = []
    for index, (password, stored) in enumerate(pairs):
        password = password[:255]
        # Every fourth seed also hashes and verifies the password (odd mode).
        mode = (2 * index + 1) if index % 4 == 0 else 0
        seeds.append(bytes([mode % 256, len(password)]) + password + stored.encode())
    return seeds


def json_bodies(pairs):
    bodies = []
    for password, stored in pairs[::5]:
        encoded = base64.b64encode(password).decode()
        bodies.append(json.dumps({"password_b64": encoded, "hash": stored}))
        bodies.append(json.dumps({"hash": stored}))
    bodies += [
        '{"password": "correct horse battery staple"}',
        '{"password": "pw", "algorithm": "bcrypt", "params": {"cost": 4}}',
        '{"password": "pw", "algorithm": "scrypt", "params": {"ln": 4, "r": 1, "p": 1}}',
        '{"password": "pw", "algorithm": "argon2id", "params": {"m": 8, "t": 1, "p": 1}}',
        '{"password": "pw", "algorithm": "pbkdf2-sha256", "params": {"rounds": 100}}',
        '{"password": "pw", "hash": null, "subject": "alice", "rehash": true}',
        '{"password": "pw", "hash": "$1$abc$", "subject": "bob", "rehash": false}',
        '{"password_b64": "AAEC/w==", "hash": "{SHA}AAAA"}',
        '{"password": "pw", "unknown": 1}',
        '{"password": "alice-Crème-42", "context": ["alice", "alice@example.org"]}',
        '{"password": "Cre\\u0300me bru\\u0302le\\u0301e", "context": []}',
        '{"password": "pw", "context": "alice"}',
        '{"password": "\\u0000\\ud800"}',
        '[1, 2, 3]',
        '{"a": {"b": {"c": {"d": {"e": {"f": {"g": {"h": {"i": 1}}}}}}}}}',
    ]
    return bodies


def http_request(method, target, body="", headers=()):
    lines = [f"{method} {target}", *headers]
    if body:
        lines.append("Content-Type: application/json")
    return "\n".join(lines) + "\n\n" + body


def service_seeds(pairs):
    seeds = []
    for path in ("/healthz", "/readyz", "/v1/policy", "/metrics", "/nowhere"):
        seeds.append(http_request("GET", path))
        seeds.append(http_request("GET", path, headers=("Transport: tcp", "Address: 127.0.0.1")))
    bearer = f"Authorization: Bearer {API_KEY}"
    for body in json_bodies(pairs)[::3] + json_bodies(pairs)[-12:]:
        for target in ("/v1/verify", "/v1/identify", "/v1/hash", "/v1/check-password"):
            seeds.append(http_request("POST", target, body))
        seeds.append(http_request("POST", "/v1/api/verify", body, ("Transport: tcp", bearer)))
    seeds += [
        http_request("POST", "/v1/api/encrypt", '{"password": "pw"}', ("Transport: tcp", bearer)),
        http_request("POST", "/v1/hash", '{"password": "pw"}', ("Transport: tcp",)),
        http_request("POST", "/v1/hash", '{"password": "pw"}', ("Transport: unix", "Uid: 12345")),
        http_request("POST", "/v1/hash", '{"password": "pw"}', ("Transport: lambda",)),
        http_request("GET", "/v1/hash"),
        "POST /v1/hash\nContent-Type: text/plain\n\n{}",
        "POST /v1/verify?x=1\nContent-Type: Application/JSON; charset=utf-8\nX-Request-Id: r1\n\n"
        '{"password": "pw", "hash": "$2b$04$' + "a" * 53 + '"}',
    ]
    return seeds


CONFIGS = [
    "",
    '[policy]\nalgorithm = "argon2id"\nsalt_bytes = 16\nrehash_stronger = true\n'
    'deprecated = ["md5-crypt", "apr1"]\n\n[policy.argon2id]\nm = 19456\nt = 2\np = 1\n',
    '[policy]\nalgorithm = "bcrypt"\n[policy.bcrypt]\ncost = 12\n',
    '[policy]\nalgorithm = "scrypt"\n[policy.scrypt]\nln = 17\nr = 8\np = 1\n',
    '[policy]\nalgorithm = "pbkdf2-sha256"\n[policy.pbkdf2-sha256]\nrounds = 600000\n',
    "[limits]\nmax_password_bytes = 4096\nmax_hash_length = 1024\n"
    "argon2_max_memory_kib = 262144\nargon2_max_time_cost = 16\nargon2_max_parallelism = 16\n"
    "bcrypt_max_cost = 16\npbkdf2_max_iterations = 5000000\nscrypt_max_memory_kib = 262144\n"
    "scrypt_max_parallelism = 16\nsha_crypt_max_rounds = 2000000\n",
    '[logging]\nlevel = "debug"\n',
    '[password_policy]\nenabled = true\nunicode = "utf8"\nmin_length = 12\nmax_length = 128\n'
    'min_strength = 3\nbreach_min_count = 2\ncontext_words = ["acme"]\n',
    '[daemon]\nlisten = ["unix:/run/pwsvc/pwsvcd.sock", "127.0.0.1:8081"]\n'
    "unix_socket_mode = 0o660\nallowed_uids = [0, 1000]\nallowed_gids = [100]\n"
    'workers = 2\nio_threads = 2\nmemory_budget = "1GiB"\nmax_queue = 1024\n'
    "queue_timeout_ms = 2000\nheader_timeout_ms = 5000\nbody_timeout_ms = 10000\n"
    "idle_timeout_ms = 60000\ndrain_timeout_ms = 30000\nmax_header_bytes = 8192\n"
    "max_body_bytes = 65536\nmax_connections = 1024\nallow_plaintext = false\n",
    '[daemon]\ntls_certificate = "/etc/pwsvc/cert.pem"\ntls_private_key = "/etc/pwsvc/key.pem"\n',
    "[daemon.rate_limit]\nrequests_per_second = 100\nburst = 200.5\n"
    "failed_verifies_per_minute = 10\n",
    '[[daemon.api_keys]]\nname = "app"\nhash = "sha256:' + "ab" * 32 + '"\n',
    "[policy.argon2id]\nm = 1048576\n[limits]\nargon2_max_memory_kib = 64\n",
    "[policy]\nunknown = 1\nalgorithm = 3\n[limits]\nbcrypt_max_cost = -1\n",
    "[policy\nalgorithm = ",
    'policy = { algorithm = "bcrypt", bcrypt = { cost = 4 } }\n',
]


def audit_seeds(pairs):
    hashes = [stored for _, stored in pairs if "\n" not in stored and "\r" not in stored]
    plain = "\n".join(f"user{i}:{h}:19000:0:99999:7:::" for i, h in enumerate(hashes[:40]))
    bare = "\n".join(hashes[40:80]) + "\n\n*\n!!\n"
    csv = "user,hash\n" + "\n".join(
        f'u{i},"{h.replace(chr(34), chr(34) * 2)}"' for i, h in enumerate(hashes[80:120]))
    csv_no_header = "\n".join(f"u{i},{h}" for i, h in enumerate(hashes[120:150]) if "," not in h)
    csv_multiline = 'user,hash\n"a\nb","$1$x$y"\n"unterminated,$6$\n'
    jsonl = "\n".join(json.dumps({"user": f"u{i}", "hash": h})
                      for i, h in enumerate(hashes[150:190]))
    jsonl_other = '{"password_hash": "$2b$04$' + "a" * 53 + '"}\n{"password_hash": 1}\n[1]\nnot json\n'
    seeds = [b"\x00" + plain.encode(), b"\x00" + bare.encode(), b"\x01" + csv.encode(),
             b"\x02" + csv_no_header.encode(), b"\x01" + csv_multiline.encode(),
             b"\x03" + jsonl.encode(), b"\x04" + jsonl_other.encode(),
             b"\x00pbkdf2:sha256:600000$salt$" + b"ab" * 32 + b"\r\nalice:pbkdf2:sha1$s$h:x\n"]
    seeds.append(b"\x00" + gzip.compress(plain.encode()))
    seeds.append(b"\x03" + gzip.compress(jsonl.encode()))
    return seeds


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: make_seeds.py OUTDIR")
    out = pathlib.Path(sys.argv[1])
    pairs = read_vectors()
    write(out / "identify", identify_seeds(pairs))
    write(out / "verify", verify_seeds(pairs))
    write(out / "json_body", json_bodies(pairs))
    write(out / "service", service_seeds(pairs))
    write(out / "config", CONFIGS)
    write(out / "audit_row", audit_seeds(pairs))


if __name__ == "__main__":
    main()
