#!/usr/bin/env python3
"""Times argon2-cffi and passlib hashing and verification inside one process.

Usage: py_kdf.py [SAMPLES]. Each sample runs every contender once, in an
order that rotates from sample to sample. Prints one JSON object with every
sample in milliseconds. Contenders whose library is missing are left out.
"""

import json
import sys
import time

PASSWORD = "correct horse battery staple"


def argon2_cffi_contenders():
    import argon2

    hasher = argon2.PasswordHasher(time_cost=2, memory_cost=19456, parallelism=1)
    stored = hasher.hash(PASSWORD)
    group = "argon2id m=19456 t=2 p=1"
    return [(group, "argon2-cffi hash", lambda: hasher.hash(PASSWORD)),
            (group, "argon2-cffi verify", lambda: hasher.verify(stored, PASSWORD))]


def passlib_contenders():
    from passlib import hash as passlib_hash

    schemes = [
        ("pbkdf2-sha256 600000", passlib_hash.pbkdf2_sha256.using(rounds=600000)),
        ("scrypt N=2^17 r=8 p=1",
         passlib_hash.scrypt.using(rounds=17, block_size=8, parallelism=1)),
    ]
    try:
        schemes.append(("bcrypt cost=12", passlib_hash.bcrypt.using(rounds=12)))
        schemes[-1][1].hash(PASSWORD)
    except Exception as error:  # passlib raises MissingBackendError without a bcrypt backend
        print(f"py_kdf: passlib bcrypt left out: {error}", file=sys.stderr)
        schemes.pop()

    contenders = []
    for group, scheme in schemes:
        stored = scheme.hash(PASSWORD)
        contenders.append((group, "passlib hash", lambda scheme=scheme: scheme.hash(PASSWORD)))
        contenders.append((group, "passlib verify",
                           lambda scheme=scheme, stored=stored: scheme.verify(PASSWORD, stored)))
    return contenders


def time_ms(call):
    start = time.perf_counter()
    if not call():
        sys.exit("py_kdf: error: a password call failed")
    return (time.perf_counter() - start) * 1000


def main():
    samples = int(sys.argv[1]) if len(sys.argv) > 1 else 15
    contenders = []
    versions = {}
    for load in (argon2_cffi_contenders, passlib_contenders):
        try:
            contenders += load()
        except ImportError as error:
            print(f"py_kdf: {load.__name__} left out: {error}", file=sys.stderr)
    for module in ("argon2", "passlib", "bcrypt"):
        try:
            versions[module] = __import__(module).__version__
        except (ImportError, AttributeError):
            pass

    for _, _, call in contenders:
        time_ms(call)
    times = [[] for _ in contenders]
    for sample in range(samples):
        for step in range(len(contenders)):
            index = (sample + step) % len(contenders)
            times[index].append(round(time_ms(contenders[index][2]), 3))

    results = [{"group": group, "contender": name, "samples_ms": times[index]}
               for index, (group, name, _) in enumerate(contenders)]
    print(json.dumps({"mode": "python", "python": sys.version.split()[0],
                      "versions": versions, "results": results}))


if __name__ == "__main__":
    main()
