"""End-to-end tests of the pwsvc binary: stdin, descriptors, exit codes, JSON."""

import base64
import concurrent.futures
import json
import os
import subprocess
import sys
import tempfile
import unittest

PWSVC = os.environ["PWSVC_BIN"]
VECTORS = os.environ["PWSVC_VECTORS_DIR"]
sys.path.insert(0, VECTORS)
from vector_rows import expected_match, read_jsonl  # noqa: E402

# A cheap policy so that hashing in these tests takes milliseconds.
CHEAP_CONFIG = """
[policy.argon2id]
m = 64
t = 1
p = 1
"""


def run(*args, stdin=b"", env=None, pass_fds=()):
    full_env = dict(os.environ)
    full_env.pop("PWSVC_CONFIG", None)
    full_env.update(env or {})
    return subprocess.run(
        [PWSVC, *args],
        input=stdin,
        capture_output=True,
        env=full_env,
        pass_fds=pass_fds,
        timeout=60,
    )


class CheapConfig:
    """A temporary config file with the cheap policy, and optional extra TOML."""

    def __init__(self, extra=""):
        self.file = tempfile.NamedTemporaryFile("w", suffix=".toml", delete=False)
        self.file.write(CHEAP_CONFIG + extra)
        self.file.close()
        self.path = self.file.name

    def __enter__(self):
        return self.path

    def __exit__(self, *unused):
        os.unlink(self.path)


class DescriptorInput:
    """Exposes `data` on a readable file descriptor for --password-fd."""

    def __init__(self, data):
        self.read_end, write_end = os.pipe()
        os.write(write_end, data)
        os.close(write_end)

    def __enter__(self):
        return self.read_end

    def __exit__(self, *unused):
        os.close(self.read_end)


class BasicsTest(unittest.TestCase):
    def test_version_and_help_exit_zero(self):
        version = run("--version")
        self.assertEqual(version.returncode, 0)
        self.assertTrue(version.stdout.startswith(b"pwsvc "))
        for command in ("hash", "verify", "identify", "config"):
            self.assertEqual(run(command, "--help").returncode, 0, command)

    def test_usage_errors_exit_two_with_one_line(self):
        for args in (("--bogus",), ("hash", "--bogus"), ("verify",), ()):
            result = run(*args)
            self.assertEqual(result.returncode, 2, args)
            self.assertTrue(result.stderr.startswith(b"pwsvc: error: "), args)

    def test_bad_param_names_the_value(self):
        result = run("hash", "--param", "m=lots", stdin=b"plum-kettle-47\n")
        self.assertEqual(result.returncode, 2)
        self.assertIn(b"m=lots", result.stderr)


class HashVerifyTest(unittest.TestCase):
    def test_round_trip_strips_one_newline(self):
        with CheapConfig() as config:
            hashed = run("--config", config, "hash", stdin=b"hunter2-orchid\n")
            self.assertEqual(hashed.returncode, 0, hashed.stderr)
            stored = hashed.stdout.decode().strip()
            self.assertTrue(stored.startswith("$argon2id$v=19$m=64,t=1,p=1$"))

            self.assertEqual(run("verify", stored, "--config", config, stdin=b"hunter2-orchid").returncode, 0)
            self.assertEqual(run("verify", stored, stdin=b"hunter2-orchid\r\n").returncode, 0)
            self.assertEqual(run("verify", stored, stdin=b"hunter2-orchid\n\n").returncode, 1)
            self.assertEqual(run("verify", stored, stdin=b"hunter3-orchid\n").returncode, 1)

    def test_password_fd_keeps_every_byte(self):
        with CheapConfig() as config, DescriptorInput(b"plum-kettle-47\n") as fd:
            hashed = run("hash", "--config", config, "--password-fd", str(fd), pass_fds=(fd,))
        self.assertEqual(hashed.returncode, 0, hashed.stderr)
        stored = hashed.stdout.decode().strip()
        self.assertEqual(run("verify", stored, stdin=b"plum-kettle-47\n").returncode, 1)
        self.assertEqual(run("verify", stored, stdin=b"plum-kettle-47\n\n").returncode, 0)

    def test_default_policy_is_owasp_argon2id(self):
        hashed = run("hash", stdin=b"plum-kettle-47\n")
        self.assertEqual(hashed.returncode, 0, hashed.stderr)
        self.assertTrue(hashed.stdout.startswith(b"$argon2id$v=19$m=19456,t=2,p=1$"))

    def test_algorithm_and_params(self):
        cases = [
            (["-a", "bcrypt", "-P", "cost=4"], "$2b$04$"),
            (["-a", "scrypt", "-P", "ln=4"], "$scrypt$ln=4,r=8,p=1$"),
            (["-a", "pbkdf2-sha256", "-P", "rounds=1000"], "$pbkdf2-sha256$1000$"),
            (["-a", "pbkdf2-sha512", "-P", "rounds=1000"], "$pbkdf2-sha512$1000$"),
            (["-a", "argon2i", "-P", "m=64", "-P", "t=3"], "$argon2i$v=19$m=64,t=3,p=1$"),
        ]
        for args, prefix in cases:
            hashed = run("hash", *args, stdin=b"plum-kettle-47\n")
            self.assertEqual(hashed.returncode, 0, (args, hashed.stderr))
            stored = hashed.stdout.decode().strip()
            self.assertTrue(stored.startswith(prefix), stored)
            self.assertEqual(run("verify", stored, stdin=b"plum-kettle-47\n").returncode, 0, args)

    def test_bcrypt_rejects_long_passwords(self):
        result = run("hash", "--no-policy", "-a", "bcrypt", "-P", "cost=4",
                     stdin=b"a" * 73 + b"\n")
        self.assertEqual(result.returncode, 2)
        self.assertIn(b"72", result.stderr)
        self.assertEqual(result.stdout, b"")

    def test_verify_json_and_rehash(self):
        with CheapConfig() as config:
            stored = run("hash", "--config", config, stdin=b"plum-kettle-47\n").stdout.decode().strip()
        result = run("verify", stored, "--json", "--rehash", "--check-rehash", stdin=b"plum-kettle-47\n")
        self.assertEqual(result.returncode, 3, result.stderr)
        answer = json.loads(result.stdout)
        self.assertTrue(answer["match"])
        self.assertTrue(answer["needs_rehash"])
        self.assertEqual(answer["scheme"], "argon2id")
        self.assertTrue(answer["new_hash"].startswith("$argon2id$v=19$m=19456,t=2,p=1$"))
        self.assertEqual(run("verify", answer["new_hash"], stdin=b"plum-kettle-47\n").returncode, 0)

        mismatch = run("verify", stored, "--json", stdin=b"nope\n")
        self.assertEqual(mismatch.returncode, 1)
        self.assertEqual(json.loads(mismatch.stdout), {"match": False, "needs_rehash": False,
                                                       "scheme": "argon2id"})

    def test_hash_file_drops_one_line_break(self):
        with CheapConfig() as config:
            stored = run("hash", "--config", config, stdin=b"plum-kettle-47\n").stdout
        with tempfile.NamedTemporaryFile(delete=False) as file:
            file.write(stored)
        try:
            self.assertEqual(run("verify", "--hash-file", file.name, stdin=b"plum-kettle-47\n").returncode, 0)
        finally:
            os.unlink(file.name)
        missing = run("verify", "--hash-file", "/nonexistent/hash", stdin=b"plum-kettle-47\n")
        self.assertEqual(missing.returncode, 2)
        self.assertIn(b"/nonexistent/hash", missing.stderr)

    def test_invalid_hashes_exit_two(self):
        for stored in ("", "*", "plaintext", "$argon2id$v=19$m=64,t=1,p=1$c2FsdHNhbHQ",
                       "$argon2id$v=19$m=2097152,t=2,p=1$c2FsdHNhbHQ$YWJjZGVmZ2hpamtsbW5vcA"):
            result = run("verify", stored, stdin=b"plaintext\n")
            self.assertEqual(result.returncode, 2, stored)
            self.assertTrue(result.stderr.startswith(b"pwsvc: error: "), stored)


class IdentifyTest(unittest.TestCase):
    def test_text_and_json(self):
        stored = "$2a$12$CPeaPhxqTrBzJXP1KB1C/.t.2TJ7EzHhyCCmiLKAEKZovzmvdMwge"
        text = run("identify", stored)
        self.assertEqual(text.returncode, 0)
        self.assertIn(b"scheme:       bcrypt", text.stdout)
        self.assertIn(b"verdict:      ok", text.stdout)

        found = json.loads(run("identify", "--json", stored).stdout)
        self.assertEqual(found["scheme"], "bcrypt")
        self.assertEqual(found["parameters"]["cost"], 12)
        self.assertEqual(found["verdict"], "ok")
        self.assertTrue(found["needs_rehash"])

    def test_verdicts_and_exit_codes(self):
        cases = [
            ("$1$Ljogq/gB$XT.zgp5a0XiQEhIzH1oS.1", "legacy", 0),
            ("$2b$05$ak.xmK0dw/ZVWzZOOlJ3m.vQTgsWWidps8k5siYTW.VbRuFHfcNtW", "weak", 0),
            ("!!", "locked", 0),
            ("$2b$31$IGj7KvvwajesCDLWXKe1V.lDvJFFi1VIei1uNEAgEBCyajSnawT4y", "over-limit", 0),
            ("$2b$04$IGj7KvvwajesCDLWXKe1V.lDvJFFi1VIei1uNEAgEBCyajSnawT4", "invalid", 2),
            ("correcthorse", "unknown", 2),
            ("correct horse", "invalid", 2),
        ]
        for stored, verdict, status in cases:
            result = run("identify", "--json", stored)
            self.assertEqual(result.returncode, status, stored)
            self.assertEqual(json.loads(result.stdout)["verdict"], verdict, stored)


class ConfigTest(unittest.TestCase):
    def test_config_option_before_and_after_and_env(self):
        with CheapConfig() as config:
            for args, env in ((["--config", config, "hash"], None),
                              (["hash", "--config", config], None),
                              (["hash"], {"PWSVC_CONFIG": config})):
                hashed = run(*args, stdin=b"plum-kettle-47\n", env=env)
                self.assertEqual(hashed.returncode, 0, hashed.stderr)
                self.assertTrue(hashed.stdout.startswith(b"$argon2id$v=19$m=64,t=1,p=1$"), args)

    def test_check_reports_line_column_and_key(self):
        with CheapConfig("\n[limits]\nbcrypt_max_costs = 3\n") as config:
            result = run("config", "check", config)
            self.assertEqual(result.returncode, 2)
            self.assertIn(f"{config}:8:1: limits.bcrypt_max_costs: unknown key".encode(),
                          result.stderr)
            self.assertEqual(run("hash", "--config", config, stdin=b"plum-kettle-47\n").returncode, 2)
        with CheapConfig() as config:
            result = run("config", "check", config)
            self.assertEqual(result.returncode, 0)

    def test_check_applies_the_daemon_start_checks(self):
        key_hash = "sha256:" + "0" * 64
        cases = [
            ('[daemon]\nlisten = ["0.0.0.0:8080"]\n'
             f'[[daemon.api_keys]]\nname = "a"\nhash = "{key_hash}"\n',
             b"0.0.0.0:8080 is not on loopback"),
            ('[daemon]\nlisten = ["127.0.0.1:8080"]\n', b"needs at least one [[daemon.api_keys]]"),
            ('[daemon]\ntls_certificate = "/nonexistent/cert.pem"\n'
             'tls_private_key = "/nonexistent/key.pem"\n',
             b"daemon.tls_certificate: cannot read /nonexistent/cert.pem"),
            (f'[[daemon.api_keys]]\nname = "a"\nhash = "{key_hash}"\n'
             f'[[daemon.api_keys]]\nname = "a"\nhash = "{key_hash}"\n',
             b"'a' names an earlier key too"),
        ]
        for text, message in cases:
            with self.subTest(message=message), CheapConfig("\n" + text) as config:
                result = run("config", "check", config)
                self.assertEqual(result.returncode, 2, result.stderr)
                self.assertIn(message, result.stderr)


class VectorsTest(unittest.TestCase):
    def test_every_interop_vector_through_the_binary(self):
        def check(row):
            password = base64.b64decode(row["password_b64"])
            with DescriptorInput(password) as fd:
                result = run("verify", row["hash"], "--password-fd", str(fd), pass_fds=(fd,))
            expected = 0 if expected_match(row) else 1
            return row["id"], result.returncode, expected, result.stderr

        with concurrent.futures.ThreadPoolExecutor(max_workers=2) as pool:
            for case_id, status, expected, stderr in pool.map(check, read_jsonl("interop.jsonl")):
                self.assertEqual(status, expected, (case_id, stderr))

    def test_every_hostile_vector_exits_two(self):
        for row in read_jsonl("hostile.jsonl"):
            password = base64.b64decode(row["password_b64"])
            with DescriptorInput(password) as fd:
                result = run("verify", row["hash"], "--password-fd", str(fd), pass_fds=(fd,))
            self.assertEqual(result.returncode, 2, (row["id"], row["reason"], result.stdout))
            self.assertTrue(result.stderr.startswith(b"pwsvc: error: "), row["id"])


if __name__ == "__main__":
    unittest.main()
