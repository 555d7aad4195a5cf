"""End-to-end tests of the password policy: pwsvc hash and check-password, locally and
through a real pwsvcd, and the daemon's HTTP responses."""

import json
import os
import re
import shutil
import signal
import tempfile
import time
import unittest

from remote_test import Daemon, mint_key, run, run_with_fd

BREACHED = "plum-kettle-47-orbit"
STRONG = "violet-tractor-harbour-72"
# NFD "Crème brûlée at noon 7": NFKC composes it before it is hashed.
NFD_TEXT = "Cre\u0300me bru\u0302le\u0301e at noon 7"
NFC_TEXT = "Cr\u00e8me br\u00fbl\u00e9e at noon 7"
LEGACY_SHA512_DIGEST = ("saoYHW97UMH6gp6M.J86N06yaNkaBjxEV2MJxQJSyHyVWuiJ14ZlEfwPo.itLKs/"
                        "eptk6AsecBrGBfTTCUFyE.")

# One strong password of each rule's failure, and the code it gets.
REJECTED = {
    "too_short": "Zq8!wL",
    "too_long": "violet tractor " * 20,
    "context_word": "acme-violet-tractor-9",
    "breached": BREACHED,
    "weak": "password1234",
}


def policy_config(index_path, extra=""):
    return f"""
[policy.argon2id]
m = 64
t = 1
p = 1

[password_policy]
max_length = 100
breach_index = "{index_path}"
context_words = ["acme"]
{extra}

[logging]
level = "info"

[daemon.rate_limit]
requests_per_second = 0
"""


class PolicyCase(unittest.TestCase):
    """A breach index built by `pwsvc breach-index build` and one daemon that uses it."""

    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.mkdtemp(prefix="pwsvc-policy-test-")
        list_path = os.path.join(cls.dir, "breached.txt")
        with open(list_path, "w", encoding="utf-8") as file:
            file.write(f"{BREACHED}\nletmein-now-please\n{NFC_TEXT}\n")
        cls.index_path = os.path.join(cls.dir, "breached.idx")
        built = run("breach-index", "build", list_path, cls.index_path)
        if built.returncode != 0:
            raise RuntimeError(f"breach-index build failed: {built.stderr!r}")
        cls.key_path, table = mint_key(cls.dir)
        cls.daemon = Daemon(policy_config(cls.index_path) + "\n" + table)

    @classmethod
    def tearDownClass(cls):
        cls.daemon.stop()
        shutil.rmtree(cls.dir, ignore_errors=True)

    def local(self):
        return ["--config", self.daemon.config_path]

    def transports(self):
        return {
            "local": self.local(),
            "unix": ["--remote", self.daemon.unix_address],
            "http": ["--remote", self.daemon.http_address, "--api-key-file", self.key_path],
        }

    def post(self, path, body):
        response, data = self.daemon.unix("POST", path, body)
        return response.status, json.loads(data)


class CliTest(PolicyCase):
    def test_rules_exit_five_everywhere(self):
        for code, password in REJECTED.items():
            results = {name: run_with_fd([*options, "hash", "--context", "alice"],
                                         password.encode())
                       for name, options in self.transports().items()}
            local = results.pop("local")
            self.assertEqual(local.returncode, 5, (code, local.stderr))
            self.assertEqual(local.stdout, b"", code)
            self.assertNotIn(password.encode(), local.stderr, code)
            for name, remote in results.items():
                self.assertEqual(remote.returncode, 5, (name, code, remote.stderr))
                self.assertEqual(remote.stderr, local.stderr, (name, code))

        messages = {code: run_with_fd([*self.local(), "hash"], password.encode()).stderr
                    for code, password in REJECTED.items()}
        self.assertIn(b"the minimum is 8 (password_policy.min_length)", messages["too_short"])
        self.assertIn(b"the maximum is 100 (password_policy.max_length)", messages["too_long"])
        self.assertIn(b"'acme'", messages["context_word"])
        self.assertIn(b"breached passwords (seen once)", messages["breached"])
        self.assertIn(b"password_policy.min_strength", messages["weak"])

    def test_invalid_utf8_and_no_policy(self):
        password = b"\xff\xfe violet tractor harbour"
        rejected = run_with_fd([*self.local(), "hash"], password)
        self.assertEqual(rejected.returncode, 5)
        self.assertIn(b"not valid UTF-8", rejected.stderr)

        imported = run_with_fd([*self.local(), "hash", "--no-policy"], password)
        self.assertEqual(imported.returncode, 0, imported.stderr)
        stored = imported.stdout.decode().strip()
        for options in self.transports().values():
            self.assertEqual(run_with_fd([*options, "verify", stored], password).returncode, 0)

    def test_no_policy_local_only(self):
        imported = run_with_fd([*self.local(), "hash", "--no-policy"], b"hunter2")
        self.assertEqual(imported.returncode, 0, imported.stderr)
        stored = imported.stdout.decode().strip()
        # Verification never applies the policy.
        for options in self.transports().values():
            self.assertEqual(run_with_fd([*options, "verify", stored], b"hunter2").returncode, 0)

        remote = run_with_fd(["--remote", self.daemon.unix_address, "hash", "--no-policy"],
                             b"hunter2")
        self.assertEqual(remote.returncode, 2)
        self.assertIn(b"--no-policy works only for local runs", remote.stderr)

    def test_context_option(self):
        rejected = run_with_fd([*self.local(), "hash", "--context", "Harbour.Master@example.org"],
                              STRONG.encode())
        self.assertEqual(rejected.returncode, 5, rejected.stderr)
        self.assertIn(b"a word from the request's context", rejected.stderr)
        self.assertNotIn(b"harbour", rejected.stderr.lower())
        accepted = run_with_fd([*self.local(), "hash", "--context", "alice"], STRONG.encode())
        self.assertEqual(accepted.returncode, 0, accepted.stderr)

    def test_check_password_text(self):
        result = run_with_fd([*self.local(), "check-password", "--context", "tractor"],
                             STRONG.encode())
        self.assertEqual(result.returncode, 5, result.stderr)
        text = result.stdout.decode()
        self.assertTrue(text.startswith("acceptable: no\n"), text)
        for line in ("ok    invalid_utf8", "ok    too_short", "ok    too_long",
                     "FAIL  context_word", "ok    breached", "ok    weak"):
            self.assertIn(line, text)
        self.assertIn("strength: ", text)
        self.assertNotIn(STRONG, text)

        accepted = run_with_fd([*self.local(), "check-password"], STRONG.encode())
        self.assertEqual(accepted.returncode, 0, accepted.stderr)
        self.assertTrue(accepted.stdout.startswith(b"acceptable: yes\n"))

    def test_check_password_json_parity(self):
        outputs = {}
        for name, options in self.transports().items():
            result = run_with_fd([*options, "check-password", "--json"], b"password1234")
            self.assertEqual(result.returncode, 5, (name, result.stderr))
            outputs[name] = result.stdout
        self.assertEqual(len(set(outputs.values())), 1, outputs)
        report = json.loads(outputs["local"])
        self.assertFalse(report["acceptable"])
        self.assertTrue(report["enforced"])
        self.assertEqual(report["length"], 12)
        self.assertLess(report["strength"], 2)
        self.assertTrue(report["feedback"])
        failed = [rule["rule"] for rule in report["rules"] if not rule["passed"]]
        self.assertEqual(failed, ["weak"])

    def test_nfd_and_nfc_forms(self):
        stored = run_with_fd([*self.local(), "hash", "--no-policy"],
                             NFD_TEXT.encode()).stdout.decode().strip()
        for form in (NFC_TEXT, NFD_TEXT):
            self.assertEqual(run_with_fd([*self.local(), "verify", stored],
                                         form.encode()).returncode, 0, form)
        # The list contains the NFC text, so its NFD form is rejected as breached too.
        rejected = run_with_fd([*self.local(), "hash"], NFD_TEXT.encode())
        self.assertEqual(rejected.returncode, 5)
        self.assertIn(b"breached", rejected.stderr)

    def test_verify_fallback_after_error(self):
        # sha512-crypt of 30 x U+FDFA as typed (90 bytes). NFKC makes it 990
        # bytes, over libxcrypt's 511, so only the bytes as sent can verify.
        # Made with Python 3.11's crypt.crypt(password, "$6$rounds=5000$saltsaltsalt$").
        stored = "$6$rounds=5000$saltsaltsalt$" + LEGACY_SHA512_DIGEST
        typed = ("\ufdfa" * 30).encode()
        for options in self.transports().values():
            result = run_with_fd([*options, "verify", "--json", stored], typed)
            self.assertEqual(result.returncode, 0, result.stderr)
            report = json.loads(result.stdout)
            self.assertTrue(report["match"])
            self.assertTrue(report["needs_rehash"])

    def test_context_limits_parity(self):
        many = [arg for i in range(17) for arg in ("--context", f"word{i}")]
        outputs = set()
        for options in self.transports().values():
            result = run_with_fd([*options, "hash", *many], STRONG.encode())
            self.assertEqual(result.returncode, 2, result.stderr)
            outputs.add(result.stderr)
        self.assertEqual(len(outputs), 1, outputs)
        self.assertIn(b"at most 16 --context words", outputs.pop())

    def test_config_check_breach_index(self):
        for path, message in ((os.path.join(self.dir, "missing.idx"), b"cannot open"),
                              (self.dir, b"not a regular file")):
            config = os.path.join(self.dir, "check.toml")
            with open(config, "w", encoding="utf-8") as file:
                file.write(f'[password_policy]\nbreach_index = "{path}"\n')
            result = run("config", "check", config)
            self.assertEqual(result.returncode, 2, result.stderr)
            self.assertIn(b"password_policy.breach_index", result.stderr)
            self.assertIn(message, result.stderr)

    def test_disabled_policy(self):
        config = os.path.join(self.dir, "disabled.toml")
        with open(config, "w", encoding="utf-8") as file:
            file.write(policy_config(self.index_path, "enabled = false"))
        hashed = run_with_fd(["--config", config, "hash"], b"hunter2")
        self.assertEqual(hashed.returncode, 0, hashed.stderr)
        checked = run_with_fd(["--config", config, "check-password"], b"hunter2")
        self.assertEqual(checked.returncode, 5)
        self.assertIn(b"password_policy.enabled is false", checked.stdout)


class HttpTest(PolicyCase):
    def kdf_count(self):
        metrics = self.daemon.unix("GET", "/metrics")[1].decode()
        found = re.search(r'^pwsvc_kdf_seconds_count\{scheme="argon2id"\} (\d+)$', metrics, re.M)
        return int(found.group(1)) if found else 0

    def test_rules_are_422_with_code(self):
        kdf_before = self.kdf_count()
        for code, password in REJECTED.items():
            for path in ("/v1/hash", "/v1/api/encrypt"):
                status, body = self.post(path, {"password": password, "context": ["alice"]})
                self.assertEqual(status, 422, (code, path, body))
                self.assertEqual(body["error"]["code"], code, path)
                self.assertNotIn(password, body["error"]["message"])
        status, body = self.post("/v1/hash", {"password_b64": "//4gdmlvbGV0IHRyYWN0b3I="})
        self.assertEqual((status, body["error"]["code"]), (422, "invalid_utf8"))

        # No key derivation ran, so none is counted or logged with a scheme.
        self.assertEqual(self.kdf_count(), kdf_before)
        time.sleep(0.1)
        rejected = [event for event in self.daemon.log_events()
                    if event.get("event") == "request" and event.get("status") == 422]
        self.assertTrue(rejected)
        for event in rejected:
            self.assertNotIn("scheme", event)

    def test_context_field(self):
        status, body = self.post("/v1/hash", {"password": STRONG, "context": ["Tractor"]})
        self.assertEqual((status, body["error"]["code"]), (422, "context_word"))
        for bad in ("alice", [1], ["x" * 257], ["a"] * 17):
            status, body = self.post("/v1/hash", {"password": STRONG, "context": bad})
            self.assertEqual(status, 400, bad)
            self.assertIn("'context'", body["error"]["message"])
        status, body = self.post("/v1/hash", {"password": STRONG, "context": ["alice"]})
        self.assertEqual(status, 200, body)

    def test_check_password_route(self):
        status, report = self.post("/v1/check-password", {"password": BREACHED})
        self.assertEqual(status, 200, report)
        self.assertFalse(report["acceptable"])
        self.assertEqual(report["breach_count"], 1)
        status, report = self.post("/v1/check-password", {"password": STRONG})
        self.assertTrue(report["acceptable"])
        status, body = self.post("/v1/check-password", {"password": STRONG, "hash": "x"})
        self.assertEqual(status, 400, body)

    def test_policy_route_rules(self):
        response, data = self.daemon.unix("GET", "/v1/policy")
        rules = json.loads(data)["password_policy"]
        self.assertEqual(rules["min_length"], 8)
        self.assertEqual(rules["max_length"], 100)
        self.assertTrue(rules["breach_check"])
        self.assertEqual(rules["context_words"], ["acme"])
        self.assertNotIn(self.index_path, data.decode())

    def test_verify_rehash_skips_rules(self):
        stored = run_with_fd([*self.local(), "hash", "--no-policy", "-a", "bcrypt", "-P",
                              "cost=4"], b"hunter2").stdout.decode().strip()
        status, body = self.post("/v1/verify", {"password": "hunter2", "hash": stored,
                                                "rehash": True})
        self.assertEqual(status, 200, body)
        self.assertTrue(body["match"])
        self.assertTrue(body["new_hash"].startswith("$argon2id$"))


def wait_for_events(daemon, name, count):
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if sum(event.get("event") == name for event in daemon.log_events()) >= count:
            return
        time.sleep(0.02)
    raise AssertionError(f"fewer than {count} {name} events in the log")


class ReloadTest(unittest.TestCase):
    def test_sighup_reopens_the_breach_index(self):
        directory = tempfile.mkdtemp(prefix="pwsvc-policy-reload-")
        list_path = os.path.join(directory, "list.txt")
        index_path = os.path.join(directory, "breached.idx")

        def build(words):
            with open(list_path, "w", encoding="utf-8") as file:
                file.write("".join(word + "\n" for word in words))
            built = run("breach-index", "build", list_path, index_path)
            self.assertEqual(built.returncode, 0, built.stderr)

        build([BREACHED])
        _, table = mint_key(directory)
        daemon = Daemon(policy_config(index_path) + "\n" + table)
        try:
            status = daemon.unix("POST", "/v1/hash", {"password": STRONG})[0].status
            self.assertEqual(status, 200)

            build([BREACHED, STRONG])
            daemon.process.send_signal(signal.SIGHUP)
            wait_for_events(daemon, "reloaded", 1)
            response, data = daemon.unix("POST", "/v1/hash", {"password": STRONG})
            self.assertEqual(response.status, 422, data)
            self.assertEqual(json.loads(data)["error"]["code"], "breached")

            # A reload whose index is missing is rejected, and the old index stays.
            os.rename(index_path, index_path + ".moved")
            daemon.process.send_signal(signal.SIGHUP)
            wait_for_events(daemon, "reload_rejected", 1)
            self.assertEqual(daemon.unix("POST", "/v1/hash", {"password": STRONG})[0].status, 422)
            self.assertIn("password_policy.breach_index", daemon.log_text())
        finally:
            self.assertEqual(daemon.stop(), 0)
            shutil.rmtree(directory, ignore_errors=True)


if __name__ == "__main__":
    unittest.main()
