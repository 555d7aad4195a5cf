"""End-to-end tests of pwsvc --remote: a real pwsvcd must give the output of a local run."""

import base64
import concurrent.futures
import hashlib
import json
import os
import shutil
import signal
import socket
import ssl
import stat
import subprocess
import tempfile
import threading
import time
import sys
import unittest

# The daemon tests' launcher starts pwsvcd; only its Daemon class is used here.
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "daemon"))
from daemon_test import Daemon as DaemonProcess  # noqa: E402

PWSVC = os.environ["PWSVC_BIN"]
PWSVCD = os.environ["PWSVCD_BIN"]
VECTORS = os.environ["PWSVC_VECTORS_DIR"]
sys.path.insert(0, VECTORS)
from vector_rows import expected_match, read_jsonl  # noqa: E402

# A cheap policy so that hashing in these tests takes milliseconds. The
# local runs read the daemon's own config file, so both use the same policy.
CHEAP_CONFIG = """
[policy.argon2id]
m = 64
t = 1
p = 1

[logging]
level = "info"
"""

SENTINEL = "Sentinel-Password-51c2e8"
BCRYPT_HASH = "$2a$12$CPeaPhxqTrBzJXP1KB1C/.t.2TJ7EzHhyCCmiLKAEKZovzmvdMwge"
INVALID_HASHES = (
    "",
    "*",
    "!!",
    "plaintext",
    "correct horse",
    "$argon2id$v=19$m=64,t=1,p=1$c2FsdHNhbHQ",
    "$argon2id$v=19$m=2097152,t=2,p=1$c2FsdHNhbHQ$YWJjZGVmZ2hpamtsbW5vcA",
    "$2b$04$IGj7KvvwajesCDLWXKe1V.lDvJFFi1VIei1uNEAgEBCyajSnawT4",
)
IDENTIFY_HASHES = INVALID_HASHES + (
    BCRYPT_HASH,
    "$1$Ljogq/gB$XT.zgp5a0XiQEhIzH1oS.1",
    "$2b$05$ak.xmK0dw/ZVWzZOOlJ3m.vQTgsWWidps8k5siYTW.VbRuFHfcNtW",
    "$2b$31$IGj7KvvwajesCDLWXKe1V.lDvJFFi1VIei1uNEAgEBCyajSnawT4y",
    "correcthorse",
)
# Every variable that would make pwsvc pick a config, a daemon or a key.
PWSVC_VARIABLES = ("PWSVC_CONFIG", "PWSVC_REMOTE", "PWSVC_API_KEY_FILE")


def run(*args, stdin=b"", env=None, pass_fds=()):
    full_env = {k: v for k, v in os.environ.items() if k not in PWSVC_VARIABLES}
    full_env.update(env or {})
    return subprocess.run(
        [PWSVC, *args],
        input=stdin,
        capture_output=True,
        env=full_env,
        pass_fds=pass_fds,
        timeout=120,
    )


def run_with_fd(args, password):
    """Runs pwsvc with `password` on a pipe given as --password-fd."""
    read_end, write_end = os.pipe()
    os.write(write_end, password)
    os.close(write_end)
    try:
        return run(*args, "--password-fd", str(read_end), pass_fds=(read_end,))
    finally:
        os.close(read_end)


def salt_free_prefix(stored):
    """Returns a new hash without its salt and digest, which differ on every run."""
    if stored.startswith("$2"):
        return stored[:7]
    return stored.rsplit("$", 2)[0]


def mint_key(directory, name="tests"):
    """Makes a key with `pwsvc api-key --out` and returns (key file, TOML table)."""
    key_path = os.path.join(directory, f"{name}.key")
    minted = run("api-key", "--name", name, "--out", key_path)
    if minted.returncode != 0:
        raise RuntimeError(f"pwsvc api-key failed: {minted.stderr!r}")
    return key_path, minted.stderr.decode()


class Daemon(DaemonProcess):
    """pwsvcd from the daemon tests, with the addresses that --remote takes."""

    @property
    def unix_address(self):
        return f"unix:{self.socket_path}"

    @property
    def http_address(self):
        return f"http://127.0.0.1:{self.port}"

    def stop(self, sig=signal.SIGTERM):
        code = super().stop(sig)
        shutil.rmtree(self.dir, ignore_errors=True)
        return code


class RemoteCase(unittest.TestCase):
    """One daemon with the cheap policy and a key minted by `pwsvc api-key`."""

    @classmethod
    def setUpClass(cls):
        cls.keys_dir = tempfile.mkdtemp(prefix="pwsvc-remote-keys-")
        cls.key_path, table = mint_key(cls.keys_dir)
        # The vectors test sends hundreds of requests a second, so the rate limit is off.
        cls.daemon = Daemon(CHEAP_CONFIG + "\n" + table +
                            "\n[daemon.rate_limit]\nrequests_per_second = 0\n")

    @classmethod
    def tearDownClass(cls):
        cls.daemon.stop()
        shutil.rmtree(cls.keys_dir, ignore_errors=True)

    def local_args(self):
        return ["--config", self.daemon.config_path]

    def remotes(self):
        """Returns the global options of each remote transport, by name."""
        return {
            "unix": ["--remote", self.daemon.unix_address],
            "http": ["--remote", self.daemon.http_address, "--api-key-file", self.key_path],
        }

    def runs(self, args, password=None, fd_password=None):
        """Runs `args` locally and on every transport and returns {name: result}."""
        results = {}
        for name, options in [("local", self.local_args()), *self.remotes().items()]:
            if fd_password is not None:
                results[name] = run_with_fd([*options, *args], fd_password)
            else:
                results[name] = run(*options, *args, stdin=password or b"")
        return results

    def assert_parity(self, args, password=None, fd_password=None):
        """Checks that every transport gives the local exit status, stdout and stderr."""
        results = self.runs(args, password, fd_password)
        local = results.pop("local")
        for name, remote in results.items():
            label = (name, args)
            self.assertEqual(remote.returncode, local.returncode, (label, remote.stderr))
            self.assertEqual(remote.stdout, local.stdout, label)
            self.assertEqual(remote.stderr, local.stderr, label)
        return local

    def assert_verifies(self, stored, password):
        for name, options in [("local", self.local_args()), *self.remotes().items()]:
            result = run(*options, "verify", stored, stdin=password)
            self.assertEqual(result.returncode, 0, (name, stored, result.stderr))


class ParityTest(RemoteCase):
    def test_hash_outputs_differ_only_by_salt(self):
        cases = [
            [],
            ["-a", "bcrypt", "-P", "cost=4"],
            ["-a", "scrypt", "-P", "ln=4"],
            ["-a", "pbkdf2-sha256", "-P", "rounds=1000"],
            ["-a", "argon2i", "-P", "m=64", "-P", "t=3"],
        ]
        for extra in cases:
            results = self.runs(["hash", *extra], password=b"hunter2-orchid\n")
            local = results.pop("local")
            self.assertEqual(local.returncode, 0, (extra, local.stderr))
            local_hash = local.stdout.decode().strip()
            for name, remote in results.items():
                self.assertEqual(remote.returncode, 0, (name, extra, remote.stderr))
                self.assertEqual(remote.stderr, b"", (name, extra))
                remote_hash = remote.stdout.decode().strip()
                self.assertEqual(salt_free_prefix(remote_hash), salt_free_prefix(local_hash),
                                 (name, extra))
                self.assertNotEqual(remote_hash, local_hash, (name, extra))
                self.assert_verifies(remote_hash, b"hunter2-orchid\n")

    def test_hash_errors_match(self):
        for extra in (["-a", "md5"], ["-a", "argon2d"], ["-a", "md5-crypt"], ["-P", "m=lots"],
                      ["-P", "m=4"], ["-P", "x=1"], ["-a", "bcrypt", "-P", "cost=4"]):
            self.assert_parity(["hash", *extra], password=b"a" * 80 + b"\n")

    def test_verify_match_mismatch_and_json(self):
        stored = run(*self.local_args(), "hash", stdin=b"plum-kettle-47\n").stdout.decode().strip()
        for password in (b"plum-kettle-47\n", b"plum-kettle-48\n", b"plum-kettle-47\n\n", b"\n"):
            self.assertIn(self.assert_parity(["verify", stored], password).returncode, (0, 1))
            self.assert_parity(["verify", "--json", stored], password)
            self.assert_parity(["verify", "--json", "--check-rehash", "--rehash", stored],
                               password)
        self.assertEqual(self.assert_parity(["verify", stored], b"plum-kettle-47\n").stdout, b"match\n")
        self.assertEqual(self.assert_parity(["verify", stored], b"no\n").stdout, b"mismatch\n")

    def test_check_rehash_exits_three(self):
        weak = run(*self.local_args(), "hash", "-a", "bcrypt", "-P", "cost=4",
                   stdin=b"plum-kettle-47\n").stdout.decode().strip()
        local = self.assert_parity(["verify", "--check-rehash", weak], b"plum-kettle-47\n")
        self.assertEqual(local.returncode, 3)
        self.assertTrue(local.stdout.startswith(b"match, needs rehash: "), local.stdout)
        local = self.assert_parity(["verify", "--check-rehash", "--json", weak], b"plum-kettle-47\n")
        self.assertEqual(local.returncode, 3)
        self.assertTrue(json.loads(local.stdout)["needs_rehash"])
        self.assertEqual(self.assert_parity(["verify", weak], b"plum-kettle-47\n").returncode, 0)

    def test_rehash_prints_a_new_hash(self):
        weak = run(*self.local_args(), "hash", "-a", "bcrypt", "-P", "cost=4",
                   stdin=b"plum-kettle-47\n").stdout.decode().strip()
        for extra in ([], ["--json"]):
            results = self.runs(["verify", "--rehash", "--check-rehash", *extra, weak],
                                password=b"plum-kettle-47\n")
            local = results.pop("local")
            self.assertEqual(local.returncode, 3, local.stderr)
            for name, remote in results.items():
                label = (name, extra)
                self.assertEqual(remote.returncode, 3, (label, remote.stderr))
                if extra:
                    local_json = json.loads(local.stdout)
                    remote_json = json.loads(remote.stdout)
                    local_hash = local_json.pop("new_hash")
                    remote_hash = remote_json.pop("new_hash")
                    self.assertEqual(remote_json, local_json, label)
                else:
                    local_line, local_hash = local.stdout.decode().splitlines()
                    remote_line, remote_hash = remote.stdout.decode().splitlines()
                    self.assertEqual(remote_line, local_line, label)
                self.assertEqual(salt_free_prefix(remote_hash), salt_free_prefix(local_hash))
                self.assertTrue(remote_hash.startswith("$argon2id$v=19$m=64,t=1,p=1$"), label)
                self.assert_verifies(remote_hash, b"plum-kettle-47\n")

    def test_identify_text_and_json(self):
        for stored in IDENTIFY_HASHES:
            text = self.assert_parity(["identify", stored])
            self.assertIn(b"verdict:", text.stdout, stored)
            found = self.assert_parity(["identify", "--json", stored])
            self.assertIn("verdict", json.loads(found.stdout), stored)
        self.assertEqual(self.assert_parity(["identify", BCRYPT_HASH]).returncode, 0)
        self.assertEqual(self.assert_parity(["identify", "correcthorse"]).returncode, 2)

    def test_invalid_hashes_match_local_errors(self):
        for stored in INVALID_HASHES:
            local = self.assert_parity(["verify", stored], b"plaintext\n")
            self.assertEqual(local.returncode, 2, stored)
            self.assertTrue(local.stderr.startswith(b"pwsvc: error: "), stored)

    def test_non_utf8_password_through_password_fd(self):
        password = b"\xff\xfe pw \x00\xc3\x28"
        refused = self.assert_parity(["hash"], fd_password=password)
        self.assertEqual(refused.returncode, 5)
        self.assertIn(b"not valid UTF-8", refused.stderr)

        local_hash = run_with_fd([*self.local_args(), "hash", "--no-policy"],
                                 password).stdout.decode().strip()
        for name, options in self.remotes().items():
            self.assertEqual(run_with_fd([*options, "verify", local_hash], password).returncode,
                             0, name)
            self.assertEqual(run_with_fd([*options, "verify", local_hash], password[:-1])
                             .returncode, 1, name)
        self.assertEqual(self.assert_parity(["verify", local_hash], fd_password=password)
                         .returncode, 0)
        self.assertEqual(self.assert_parity(["verify", local_hash], fd_password=password + b"\n")
                         .returncode, 1)

    def test_utf8_and_escaped_passwords(self):
        for password in ("caf\u00e9 \u2603 \U0001f511", 'quote " back \\ tab \t nul \x00 end'):
            encoded = password.encode()
            local_hash = run_with_fd([*self.local_args(), "hash"], encoded).stdout.decode().strip()
            self.assertEqual(self.assert_parity(["verify", local_hash], fd_password=encoded)
                             .returncode, 0, password)

    def test_hash_file_and_non_utf8_hash(self):
        stored = run(*self.local_args(), "hash", stdin=b"plum-kettle-47\n").stdout
        with tempfile.NamedTemporaryFile(delete=False) as file:
            file.write(stored)
        try:
            self.assertEqual(self.assert_parity(["verify", "--hash-file", file.name], b"plum-kettle-47\n")
                             .returncode, 0)
        finally:
            os.unlink(file.name)
        for name, options in self.remotes().items():
            result = run(*options, "identify", b"$2b$\xff")
            self.assertEqual(result.returncode, 2, name)
            self.assertIn(b"not valid UTF-8", result.stderr, name)


class VectorsTest(RemoteCase):
    def test_interop_vectors_over_unix_socket(self):
        address = self.daemon.unix_address

        def check(row):
            password = base64.b64decode(row["password_b64"])
            result = run_with_fd(["--remote", address, "verify", row["hash"]], password)
            return row["id"], result.returncode, result.stderr

        rows = read_jsonl("interop.jsonl")
        with concurrent.futures.ThreadPoolExecutor(max_workers=2) as pool:
            statuses = {case_id: (status, stderr) for case_id, status, stderr in
                        pool.map(check, rows)}
        for row in rows:
            status, stderr = statuses[row["id"]]
            self.assertEqual(status, 0 if expected_match(row) else 1, (row["id"], stderr))


class OptionsTest(RemoteCase):
    def test_remote_option_positions_and_environment(self):
        address = self.daemon.unix_address
        invocations = [
            (["--remote", address, "hash"], None),
            (["hash", "--remote", address], None),
            (["hash"], {"PWSVC_REMOTE": address}),
            (["hash"], {"PWSVC_REMOTE": self.daemon.http_address,
                        "PWSVC_API_KEY_FILE": self.key_path}),
            (["hash", "--api-key-file", self.key_path, "--remote", self.daemon.http_address],
             None),
        ]
        for args, env in invocations:
            result = run(*args, stdin=b"plum-kettle-47\n", env=env)
            self.assertEqual(result.returncode, 0, (args, env, result.stderr))
            # The daemon's cheap policy, not the built-in default, made the hash.
            self.assertTrue(result.stdout.startswith(b"$argon2id$v=19$m=64,t=1,p=1$"),
                            (args, env))

    def test_option_overrides_the_environment(self):
        result = run("--remote", self.daemon.unix_address, "hash", stdin=b"plum-kettle-47\n",
                     env={"PWSVC_REMOTE": "unix:/nonexistent/pwsvcd.sock"})
        self.assertEqual(result.returncode, 0, result.stderr)

    def test_wrong_key_exits_two(self):
        wrong = os.path.join(self.keys_dir, "wrong.key")
        with open(wrong, "w", encoding="utf-8") as file:
            file.write("pwsvc_" + "A" * 43 + "\n")
        result = run("--remote", self.daemon.http_address, "--api-key-file", wrong, "hash",
                     stdin=SENTINEL.encode() + b"\n")
        self.assertEqual(result.returncode, 2)
        self.assertEqual(result.stdout, b"")
        message = result.stderr.decode()
        self.assertTrue(message.startswith("pwsvc: error: "), message)
        self.assertIn("rejected the API key", message)
        self.assertIn(wrong, message)
        self.assertIn("[[daemon.api_keys]]", message)
        self.assertNotIn("A" * 43, message)
        self.assertNotIn(SENTINEL, message)

    def test_missing_key_exits_two(self):
        result = run("--remote", self.daemon.http_address, "identify", BCRYPT_HASH)
        self.assertEqual(result.returncode, 2)
        self.assertIn(b"--api-key-file", result.stderr)
        self.assertIn(b"pwsvc api-key", result.stderr)

    def test_key_file_problems_exit_two(self):
        cases = {
            "empty.key": b"",
            "two-lines.key": b"pwsvc_one\npwsvc_two\n",
            "space.key": b"pwsvc key\n",
        }
        for name, content in cases.items():
            path = os.path.join(self.keys_dir, name)
            with open(path, "wb") as file:
                file.write(content)
            result = run("--remote", self.daemon.http_address, "--api-key-file", path,
                         "identify", BCRYPT_HASH)
            self.assertEqual(result.returncode, 2, name)
            self.assertIn(path.encode(), result.stderr, name)
            self.assertNotIn(b"pwsvc_one", result.stderr, name)
        missing = run("--remote", self.daemon.http_address, "--api-key-file",
                      "/nonexistent/k.key", "identify", BCRYPT_HASH)
        self.assertEqual(missing.returncode, 2)
        self.assertIn(b"/nonexistent/k.key", missing.stderr)

    def test_key_file_with_crlf_works(self):
        with open(self.key_path, encoding="utf-8") as file:
            key = file.read().strip()
        path = os.path.join(self.keys_dir, "crlf.key")
        with open(path, "w", encoding="utf-8", newline="") as file:
            file.write(key + "\r\n")
        result = run("--remote", self.daemon.http_address, "--api-key-file", path,
                     "identify", BCRYPT_HASH)
        self.assertEqual(result.returncode, 0, result.stderr)

    def test_daemon_not_running_exits_four(self):
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            closed_port = probe.getsockname()[1]
        for address in ("unix:/nonexistent/pwsvcd.sock", f"http://127.0.0.1:{closed_port}"):
            result = run("--remote", address, "verify", BCRYPT_HASH, stdin=b"plum-kettle-47\n")
            self.assertEqual(result.returncode, 4, address)
            self.assertIn(f"cannot connect to pwsvcd at {address}".encode(), result.stderr)

    def test_usage_errors_exit_two(self):
        cases = [
            ["--remote", "tcp://127.0.0.1:1", "hash"],
            ["--remote", "http://127.0.0.1:99999", "hash"],
            ["--remote", "http://user:secret@127.0.0.1:1", "hash"],
            ["--remote", "http://127.0.0.1:1/v1", "hash"],
            ["--remote", "unix:", "hash"],
            ["--remote", "", "hash"],
            ["--remote", self.daemon.unix_address, "--config", "/dev/null", "hash"],
            ["--remote", self.daemon.http_address, "--remote-ca", "/dev/null", "hash"],
            ["--api-key-file", self.key_path, "hash"],
        ]
        for args in cases:
            result = run(*args, stdin=b"plum-kettle-47\n")
            self.assertEqual(result.returncode, 2, args)
            self.assertTrue(result.stderr.startswith(b"pwsvc: error: "), args)
            self.assertNotIn(b"secret", result.stderr, args)

    def test_config_check_stays_local(self):
        result = run("--remote", "unix:/nonexistent/pwsvcd.sock", "config", "check",
                     self.daemon.config_path)
        self.assertEqual(result.returncode, 0, result.stderr)


class AccessTest(unittest.TestCase):
    def setUp(self):
        self.keys_dir = tempfile.mkdtemp(prefix="pwsvc-remote-keys-")
        # pwsvcd needs a key to listen on TCP at all.
        _, self.key_table = mint_key(self.keys_dir)

    def tearDown(self):
        shutil.rmtree(self.keys_dir, ignore_errors=True)

    def test_forbidden_uid_exits_two(self):
        daemon = Daemon(CHEAP_CONFIG + self.key_table + "\n[daemon]\nallowed_uids = [4242]\n")
        try:
            result = run("--remote", daemon.unix_address, "identify", BCRYPT_HASH)
        finally:
            daemon.stop()
        self.assertEqual(result.returncode, 2)
        self.assertIn(b"HTTP 403", result.stderr)
        self.assertIn(b"daemon.allowed_uids", result.stderr)

    def test_rate_limit_exits_four_with_retry_after(self):
        daemon = Daemon(CHEAP_CONFIG + self.key_table +
                        "\n[daemon.rate_limit]\nrequests_per_second = 0.1\nburst = 1\n")
        try:
            results = [run("--remote", daemon.unix_address, "identify", BCRYPT_HASH)
                       for _ in range(3)]
        finally:
            daemon.stop()
        self.assertEqual(results[0].returncode, 0, results[0].stderr)
        limited = results[-1]
        self.assertEqual(limited.returncode, 4)
        self.assertEqual(limited.stdout, b"")
        self.assertIn(b"HTTP 429", limited.stderr)
        self.assertRegex(limited.stderr.decode(), r"\(Retry-After: \d+ s\)$")


class FakeDaemon:
    """Sends `reply` to every request on a Unix socket, or never responds when it is None."""

    def __init__(self, reply):
        self.dir = tempfile.mkdtemp(prefix="pwsvc-fake-daemon-")
        self.address = "unix:" + os.path.join(self.dir, "fake.sock")
        self.reply = reply
        self.requests = []
        self.listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.listener.bind(self.address[5:])
        self.listener.listen()
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self):
        silent_connections = []
        # A short accept timeout lets stop() end the loop: closing a socket
        # does not wake a thread blocked in accept().
        self.listener.settimeout(0.05)
        while not self.stopping.is_set():
            try:
                connection, _ = self.listener.accept()
            except TimeoutError:
                continue
            connection.settimeout(10)
            data = b""
            while b"\r\n\r\n" not in data:
                chunk = connection.recv(65536)
                if not chunk:
                    break
                data += chunk
            self.requests.append(data)
            if self.reply is None:
                silent_connections.append(connection)
                continue
            connection.sendall(self.reply)
            connection.close()
        for connection in silent_connections:
            connection.close()

    def stop(self):
        self.stopping.set()
        self.thread.join(timeout=10)
        self.listener.close()
        shutil.rmtree(self.dir, ignore_errors=True)


class FakeDaemonTest(unittest.TestCase):
    def run_against(self, reply, *args):
        fake = FakeDaemon(reply)
        try:
            return run("--remote", fake.address, *args, stdin=b"plum-kettle-47\n"), fake.requests
        finally:
            fake.stop()

    def test_request_is_http_post_with_json(self):
        body = b'{"hash":"$1$ab"}'
        reply = (b"HTTP/1.1 200 OK\r\nContent-Length: " + str(len(body)).encode() +
                 b"\r\n\r\n" + body)
        result, requests = self.run_against(reply, "hash")
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertEqual(result.stdout, b"$1$ab\n")
        head = requests[0].split(b"\r\n\r\n")[0].decode()
        self.assertTrue(head.startswith("POST /v1/hash HTTP/1.1\r\n"), head)
        self.assertIn("Content-Type: application/json", head)
        self.assertNotIn("Authorization", head)

    def test_no_key_over_unix_socket(self):
        directory = tempfile.mkdtemp(prefix="pwsvc-remote-keys-")
        try:
            key_path, _ = mint_key(directory)
            fake = FakeDaemon(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}")
            try:
                run("--remote", fake.address, "--api-key-file", key_path, "hash", stdin=b"plum-kettle-47\n")
                run("--remote", fake.address, "hash", stdin=b"plum-kettle-47\n",
                    env={"PWSVC_API_KEY_FILE": key_path})
            finally:
                fake.stop()
        finally:
            shutil.rmtree(directory)
        self.assertEqual(len(fake.requests), 2)
        for request in fake.requests:
            self.assertNotIn(b"Authorization", request)

    def test_unexpected_responses_exit_four(self):
        cases = [
            b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi",
            b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}",
            b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n",
            b"HTTP/1.1 500 Internal Server Error\r\nContent-Length: 0\r\n\r\n",
            b"not http at all\r\n\r\n",
        ]
        for reply in cases:
            for args in (["hash"], ["verify", BCRYPT_HASH], ["identify", BCRYPT_HASH]):
                result, _ = self.run_against(reply, *args)
                self.assertEqual(result.returncode, 4, (reply, args, result.stderr))
                self.assertEqual(result.stdout, b"", (reply, args))
                self.assertTrue(result.stderr.startswith(b"pwsvc: error: pwsvcd at unix:") or
                                result.stderr.startswith(b"pwsvc: error: the request to pwsvcd"),
                                (reply, args, result.stderr))

    def test_busy_response_exits_four(self):
        body = b'{"error":{"code":"overloaded","message":"retry later","request_id":"r1"}}'
        reply = (b"HTTP/1.1 503 Service Unavailable\r\nRetry-After: 7\r\nContent-Length: " +
                 str(len(body)).encode() + b"\r\n\r\n" + body)
        result, _ = self.run_against(reply, "hash")
        self.assertEqual(result.returncode, 4)
        self.assertIn(b"HTTP 503", result.stderr)
        self.assertIn(b"retry later (Retry-After: 7 s)", result.stderr)

    def test_control_characters_are_not_printed(self):
        body = b'{"error":{"code":"x","message":"bad\\u001b[31m red","request_id":"r\\n2"}}'
        reply = (b"HTTP/1.1 500 Internal Server Error\r\nContent-Length: " +
                 str(len(body)).encode() + b"\r\n\r\n" + body)
        result, _ = self.run_against(reply, "identify", BCRYPT_HASH)
        self.assertEqual(result.returncode, 4)
        self.assertNotIn(b"\x1b", result.stderr)
        self.assertIn(b"bad?[31m red (request id r?2)", result.stderr)

    def test_silent_daemon_times_out(self):
        started = time.monotonic()
        result, _ = self.run_against(None, "identify", BCRYPT_HASH)
        elapsed = time.monotonic() - started
        self.assertEqual(result.returncode, 4)
        self.assertIn(b"did not respond within 30 s", result.stderr)
        self.assertGreater(elapsed, 29)
        self.assertLess(elapsed, 60)


class ApiKeyTest(unittest.TestCase):
    def test_key_format_and_config_table(self):
        result = run("api-key", "--name", "billing")
        self.assertEqual(result.returncode, 0, result.stderr)
        key = result.stdout.decode()
        self.assertRegex(key, r"^pwsvc_[A-Za-z0-9_-]{43}\n$")
        key = key.rstrip("\n")
        digest = hashlib.sha256(key.encode()).hexdigest()
        table = result.stderr.decode()
        self.assertIn('[[daemon.api_keys]]\nname = "billing"\nhash = "sha256:' + digest + '"\n',
                      table)
        self.assertNotIn(key, table)

    def test_keys_differ_and_default_names(self):
        first = run("api-key")
        second = run("api-key")
        self.assertNotEqual(first.stdout, second.stdout)
        digest = hashlib.sha256(first.stdout.strip()).hexdigest()
        self.assertIn(f'name = "key-{digest[:8]}"', first.stderr.decode())

    def test_out_writes_a_private_file_once(self):
        directory = tempfile.mkdtemp(prefix="pwsvc-api-key-")
        try:
            path = os.path.join(directory, "client.key")
            old_umask = os.umask(0)
            try:
                result = run("api-key", "--out", path)
            finally:
                os.umask(old_umask)
            self.assertEqual(result.returncode, 0, result.stderr)
            self.assertEqual(result.stdout, b"")
            self.assertEqual(stat.S_IMODE(os.stat(path).st_mode), 0o600)
            with open(path, encoding="utf-8") as file:
                key = file.read()
            self.assertRegex(key, r"^pwsvc_[A-Za-z0-9_-]{43}\n$")
            self.assertIn(hashlib.sha256(key.strip().encode()).hexdigest(),
                          result.stderr.decode())

            again = run("api-key", "--out", path)
            self.assertEqual(again.returncode, 2)
            self.assertIn(b"already exists", again.stderr)
            with open(path, encoding="utf-8") as file:
                self.assertEqual(file.read(), key)

            link = os.path.join(directory, "link.key")
            os.symlink(os.path.join(directory, "target.key"), link)
            self.assertEqual(run("api-key", "--out", link).returncode, 2)
            self.assertFalse(os.path.exists(os.path.join(directory, "target.key")))
        finally:
            shutil.rmtree(directory)

    def test_invalid_names_exit_two(self):
        for name in ("", "has space", 'quote"', "x" * 65, "new\nline"):
            result = run("api-key", "--name", name)
            self.assertEqual(result.returncode, 2, name)
            self.assertEqual(result.stdout, b"", name)

    def test_help_documents_the_table(self):
        result = run("api-key", "--help")
        self.assertEqual(result.returncode, 0)
        self.assertIn(b"[[daemon.api_keys]]", result.stdout)
        self.assertIn(b"0600", result.stdout)


def make_certificate(directory, subject_alt_name):
    """Makes a self-signed certificate and key with the openssl CLI and returns their paths."""
    certificate = os.path.join(directory, "server.crt")
    key = os.path.join(directory, "server.key")
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
         "-nodes", "-days", "2", "-subj", "/CN=pwsvcd test", "-addext",
         f"subjectAltName={subject_alt_name}", "-keyout", key, "-out", certificate],
        check=True, capture_output=True, timeout=60)
    return certificate, key


def serves_tls(port):
    """Returns True when 127.0.0.1:`port` completes a TLS handshake."""
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=5) as raw:
            with context.wrap_socket(raw):
                return True
    except (ssl.SSLError, OSError):
        return False


class HttpsTest(unittest.TestCase):
    """Runs only when this pwsvcd serves TLS with daemon.tls_certificate."""

    @classmethod
    def setUpClass(cls):
        if shutil.which("openssl") is None:
            raise unittest.SkipTest("the openssl command is not installed")
        cls.dir = tempfile.mkdtemp(prefix="pwsvc-remote-tls-")
        cls.certificate, key = make_certificate(cls.dir, "IP:127.0.0.1")
        cls.other_certificate, _ = make_certificate(tempfile.mkdtemp(dir=cls.dir),
                                                    "DNS:elsewhere.test")
        cls.key_path, table = mint_key(cls.dir)
        config = (CHEAP_CONFIG + "\n" + table +
                  f'\n[daemon]\ntls_certificate = "{cls.certificate}"\n'
                  f'tls_private_key = "{key}"\n')
        try:
            cls.daemon = Daemon(config)
        except RuntimeError as error:
            shutil.rmtree(cls.dir, ignore_errors=True)
            raise unittest.SkipTest(f"pwsvcd does not start with TLS settings: {error}")
        if not serves_tls(cls.daemon.port):
            cls.daemon.stop()
            shutil.rmtree(cls.dir, ignore_errors=True)
            raise unittest.SkipTest("pwsvcd does not serve TLS on its TCP listener")

    @classmethod
    def tearDownClass(cls):
        cls.daemon.stop()
        shutil.rmtree(cls.dir, ignore_errors=True)

    def https(self, host="127.0.0.1"):
        return f"https://{host}:{self.daemon.port}"

    def test_commands_with_certificate_as_ca(self):
        options = ["--remote", self.https(), "--remote-ca", self.certificate,
                   "--api-key-file", self.key_path]
        hashed = run(*options, "hash", stdin=b"plum-kettle-47\n")
        self.assertEqual(hashed.returncode, 0, hashed.stderr)
        stored = hashed.stdout.decode().strip()
        self.assertTrue(stored.startswith("$argon2id$v=19$m=64,t=1,p=1$"))
        self.assertEqual(run(*options, "verify", stored, stdin=b"plum-kettle-47\n").returncode, 0)
        self.assertEqual(run(*options, "verify", stored, stdin=b"no\n").returncode, 1)
        local = run("--config", self.daemon.config_path, "identify", "--json", stored)
        remote = run(*options, "identify", "--json", stored)
        self.assertEqual(remote.returncode, local.returncode)
        self.assertEqual(remote.stdout, local.stdout)

    def test_host_name_is_checked(self):
        # The certificate names only the address 127.0.0.1, not "localhost".
        result = run("--remote", self.https("localhost"), "--remote-ca", self.certificate,
                     "--api-key-file", self.key_path, "identify", BCRYPT_HASH)
        self.assertEqual(result.returncode, 4, result.stderr)
        self.assertIn(b"does not verify", result.stderr)
        self.assertIn(b"mismatch", result.stderr)

    def test_untrusted_certificate_exits_four(self):
        cases = [
            ["--remote", self.https()],
            ["--remote", self.https(), "--remote-ca", self.other_certificate],
        ]
        for args in cases:
            result = run(*args, "--api-key-file", self.key_path, "hash", stdin=b"plum-kettle-47\n")
            self.assertEqual(result.returncode, 4, args)
            self.assertIn(b"does not verify", result.stderr, args)
            self.assertIn(b"--remote-ca", result.stderr, args)
            self.assertEqual(result.stdout, b"", args)

    def test_plain_http_to_a_tls_port_fails(self):
        result = run("--remote", f"http://127.0.0.1:{self.daemon.port}",
                     "--api-key-file", self.key_path, "identify", BCRYPT_HASH)
        self.assertEqual(result.returncode, 4, result.stderr)


if __name__ == "__main__":
    unittest.main()
