"""End-to-end tests of pwsvcd: the real binary on a temporary Unix socket and 127.0.0.1:0."""

import atexit
import base64
import concurrent.futures
import hashlib
import http.client
import json
import os
import re
import resource
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import threading
import time
import unittest

PWSVCD = os.environ["PWSVCD_BIN"]
VECTORS = os.environ["PWSVC_VECTORS_DIR"]
sys.path.insert(0, VECTORS)
from vector_rows import expected_match, read_jsonl  # noqa: E402

API_KEY = "test-key-" + "k" * 32
SENTINEL = "Sentinel-Password-7f3a9c"
# Every test sends this sentinel as its password, and the launcher fails a
# test whose daemon writes the sentinel or the API key to a response body,
# the log or /metrics.
PASSWORD = SENTINEL

BASE_CONFIG = f"""
[policy.argon2id]
m = 64
t = 1
p = 1

[logging]
level = "info"

[[daemon.api_keys]]
name = "tests"
hash = "sha256:{hashlib.sha256(API_KEY.encode()).hexdigest()}"
"""


class UnixConnection(http.client.HTTPConnection):
    def __init__(self, path, timeout=30):
        super().__init__("localhost", timeout=timeout)
        self.path = path

    def connect(self):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(self.timeout)
        self.sock.connect(self.path)


class Daemon:
    """Runs pwsvcd with `config` on a fresh Unix socket and a TCP port 0."""

    def __init__(self, config=BASE_CONFIG, extra_args=(), fd_limit=None):
        self.dir = tempfile.mkdtemp(prefix="pwsvcd-test-")
        # Removed when the test process exits, after any test has read its logs.
        atexit.register(shutil.rmtree, self.dir, True)
        self.socket_path = os.path.join(self.dir, "pwsvcd.sock")
        self.config_path = os.path.join(self.dir, "pwsvc.toml")
        with open(self.config_path, "w", encoding="utf-8") as file:
            file.write(config)
        self.stderr_path = os.path.join(self.dir, "stderr.log")
        self.stderr = open(self.stderr_path, "wb")
        self.process = subprocess.Popen(
            [PWSVCD, "--config", self.config_path, "--listen", f"unix:{self.socket_path}",
             "--listen", "127.0.0.1:0", *extra_args],
            stdout=subprocess.DEVNULL, stderr=self.stderr,
            preexec_fn=None if fd_limit is None else lambda: resource.setrlimit(
                resource.RLIMIT_NOFILE, (fd_limit, fd_limit)))
        self.port = self._wait_for_port()

    def _wait_for_port(self):
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            for event in self.log_events():
                if event.get("event") == "started":
                    ports = [e["port"] for e in self.log_events() if "port" in e]
                    return ports[0]
            if self.process.poll() is not None:
                raise RuntimeError(f"pwsvcd exited: {self.log_text()}")
            time.sleep(0.02)
        raise RuntimeError("pwsvcd did not start within 10 s")

    def log_text(self):
        with open(self.stderr_path, "rb") as file:
            return file.read().decode("utf-8", "replace")

    def log_events(self):
        events = []
        for line in self.log_text().splitlines():
            try:
                events.append(json.loads(line))
            except ValueError:
                pass
        return events

    def unix(self, method, path, body=None, headers=None):
        return self._send(UnixConnection(self.socket_path), method, path, body, headers)

    def tcp(self, method, path, body=None, headers=None, key=API_KEY):
        all_headers = dict(headers or {})
        if key is not None:
            all_headers["Authorization"] = f"Bearer {key}"
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        return self._send(connection, method, path, body, all_headers)

    @staticmethod
    def _send(connection, method, path, body, headers):
        all_headers = {"Content-Type": "application/json"}
        all_headers.update(headers or {})
        if isinstance(body, (dict, list)):
            body = json.dumps(body)
        connection.request(method, path, body=body, headers=all_headers)
        response = connection.getresponse()
        data = response.read()
        connection.close()
        assert_no_secret(data.decode("utf-8", "replace"), f"the response to {method} {path}")
        return response, data

    def stop(self, sig=signal.SIGTERM):
        if self.process.poll() is None:
            try:
                metrics = self.unix("GET", "/metrics")[1].decode("utf-8", "replace")
                assert_no_secret(metrics, "/metrics")
            except OSError:
                pass  # the test closed the socket or stopped listening
            self.process.send_signal(sig)
        code = self.process.wait(timeout=30)
        self.stderr.close()
        assert_no_secret(self.log_text(), "the log")
        if code != 0:
            # Only pwsvcd's log shows a sanitizer report or the cause of a crash.
            sys.stderr.write(f"pwsvcd exited with {code}; its log ends:\n{self.log_text()[-16000:]}\n")
        return code


def assert_no_secret(text, where):
    for secret in (SENTINEL, API_KEY):
        if secret in text:
            raise AssertionError(f"a test secret appeared in {where}")


class DaemonCase(unittest.TestCase):
    config = BASE_CONFIG

    @classmethod
    def setUpClass(cls):
        cls.daemon = Daemon(cls.config)

    @classmethod
    def tearDownClass(cls):
        cls.daemon.stop()

    def assert_error(self, response, data, status, code=None):
        self.assertEqual(response.status, status, data)
        body = json.loads(data)
        self.assertEqual(set(body), {"error"})
        self.assertEqual(set(body["error"]), {"code", "message", "request_id"})
        self.assertEqual(body["error"]["request_id"], response.getheader("X-Request-Id"))
        if code is not None:
            self.assertEqual(body["error"]["code"], code)
        if status in (429, 503):
            self.assertIsNotNone(response.getheader("Retry-After"))
        return body["error"]


class ApiTest(DaemonCase):
    def test_health_ready_and_policy(self):
        for send in (self.daemon.unix, self.daemon.tcp):
            response, data = send("GET", "/healthz")
            self.assertEqual(response.status, 200)
            response, data = send("GET", "/readyz")
            self.assertEqual(response.status, 200)
        response, data = self.daemon.unix("GET", "/v1/policy")
        policy = json.loads(data)
        self.assertEqual(policy["policy"]["algorithm"], "argon2id")
        self.assertEqual(policy["policy"]["params"]["argon2id"], {"m": 64, "p": 1, "t": 1})
        self.assertIn("argon2_max_memory_kib", policy["limits"])
        self.assertNotIn(hashlib.sha256(API_KEY.encode()).hexdigest(), data.decode())

    def test_unix_socket_mode_is_0660(self):
        self.assertEqual(os.stat(self.daemon.socket_path).st_mode & 0o777, 0o660)

    def test_hash_verify_round_trip_on_both_transports(self):
        for send in (self.daemon.unix, self.daemon.tcp):
            response, data = send("POST", "/v1/hash", {"password": "hunter2-orchid"})
            self.assertEqual(response.status, 200, data)
            stored = json.loads(data)["hash"]
            self.assertTrue(stored.startswith("$argon2id$v=19$m=64,t=1,p=1$"))
            response, data = send("POST", "/v1/verify", {"password": "hunter2-orchid", "hash": stored})
            self.assertEqual(json.loads(data), {"match": True, "needs_rehash": False,
                                                "scheme": "argon2id"})
            response, data = send("POST", "/v1/verify", {"password": "hunter3", "hash": stored})
            self.assertFalse(json.loads(data)["match"])

    def test_aliases_match_the_main_routes(self):
        response, data = self.daemon.unix("POST", "/v1/api/encrypt", {"password": PASSWORD})
        self.assertEqual(response.status, 200, data)
        stored = json.loads(data)["hash"]
        response, data = self.daemon.unix("POST", "/v1/api/verify", {"password": PASSWORD, "hash": stored})
        self.assertTrue(json.loads(data)["match"])

    def test_algorithm_params_and_rehash(self):
        response, data = self.daemon.unix("POST", "/v1/hash", {
            "password": PASSWORD, "algorithm": "bcrypt", "params": {"cost": 4}})
        self.assertEqual(response.status, 200, data)
        stored = json.loads(data)["hash"]
        self.assertTrue(stored.startswith("$2b$04$"))
        response, data = self.daemon.unix("POST", "/v1/verify",
                                          {"password": PASSWORD, "hash": stored, "rehash": True})
        answer = json.loads(data)
        self.assertTrue(answer["match"])
        self.assertTrue(answer["needs_rehash"])
        self.assertTrue(answer["new_hash"].startswith("$argon2id$"))

    def test_unknown_user_gets_a_plain_mismatch(self):
        response, data = self.daemon.unix("POST", "/v1/verify", {"password": PASSWORD, "hash": None})
        self.assertEqual(response.status, 200)
        self.assertEqual(json.loads(data), {"match": False, "needs_rehash": False,
                                            "scheme": "argon2id"})

    def test_identify(self):
        response, data = self.daemon.unix("POST", "/v1/identify", {
            "hash": "$2a$12$CPeaPhxqTrBzJXP1KB1C/.t.2TJ7EzHhyCCmiLKAEKZovzmvdMwge"})
        self.assertEqual(response.status, 200)
        found = json.loads(data)
        self.assertEqual(found["scheme"], "bcrypt")
        self.assertEqual(found["parameters"]["cost"], 12)
        self.assertEqual(found["verdict"], "ok")

    def test_every_interop_vector_over_http(self):
        rows = read_jsonl("interop.jsonl")

        def check(row):
            # A client honours 503 with Retry-After. Only slow builds (ThreadSanitizer)
            # queue these requests past the deadline: a password that NFKC changes
            # costs two key derivations when it does not match.
            for _ in range(30):
                response, data = self.daemon.unix("POST", "/v1/verify", {
                    "password_b64": row["password_b64"], "hash": row["hash"]})
                if response.status != 503:
                    break
                time.sleep(float(response.getheader("Retry-After", "1")))
            return row["id"], response.status, data

        with concurrent.futures.ThreadPoolExecutor(max_workers=4) as pool:
            results = {case_id: (status, data) for case_id, status, data in pool.map(check, rows)}
        for row in rows:
            status, data = results[row["id"]]
            self.assertEqual(status, 200, (row["id"], data))
            self.assertEqual(json.loads(data)["match"], expected_match(row), row["id"])

    def test_every_hostile_vector_is_a_400(self):
        for row in read_jsonl("hostile.jsonl"):
            response, data = self.daemon.unix("POST", "/v1/verify", {
                "password_b64": row["password_b64"], "hash": row["hash"]})
            error = self.assert_error(response, data, 400)
            if len(row["hash"]) > 8:
                self.assertNotIn(row["hash"], error["message"], row["id"])

    def test_access_log_shows_argon2_memory(self):
        started = next(event for event in self.daemon.log_events()
                       if event.get("event") == "started")
        hashes = started["workers"] + 1
        ids = []
        for _ in range(hashes):
            response, _ = self.daemon.unix("POST", "/v1/hash", {"password": PASSWORD})
            self.assertEqual(response.status, 200)
            ids.append(response.getheader("X-Request-Id"))
        response, _ = self.daemon.unix("GET", "/healthz")
        ids.append(response.getheader("X-Request-Id"))
        time.sleep(0.1)

        lines = {event.get("request_id"): event for event in self.daemon.log_events()
                 if event.get("event") == "request"}
        uses = [lines[request_id].get("argon2_memory") for request_id in ids]
        if os.environ.get("PWSVC_ARGON2_MEMORY_CACHE_LINKED") != "1":
            self.assertEqual(uses, [None] * (hashes + 1))
            return
        # Each worker maps a region of this size at most once, so one more
        # hash than there are workers reuses at least one region.
        self.assertTrue(set(uses[:hashes]) <= {"mapped", "reused"}, uses)
        self.assertIn("reused", uses[:hashes])
        self.assertIsNone(uses[hashes])

    def test_request_id_on_every_response(self):
        response, data = self.daemon.unix("GET", "/healthz", headers={"X-Request-Id": "abc-123"})
        self.assertEqual(response.getheader("X-Request-Id"), "abc-123")
        response, data = self.daemon.unix("GET", "/healthz", headers={"X-Request-Id": "bad id!"})
        self.assertRegex(response.getheader("X-Request-Id"), r"^[0-9a-f]{24}$")
        response, data = self.daemon.unix("GET", "/nowhere")
        self.assertRegex(response.getheader("X-Request-Id"), r"^[0-9a-f]{24}$")


class ErrorTest(DaemonCase):
    def test_bad_json_types_and_fields_are_400(self):
        cases = [
            "{not json",
            "[]",
            {"password": 5},
            {"password": PASSWORD, "extra": 1},
            {"password": PASSWORD, "password_b64": "cHc="},
            {},
            {"password_b64": "not base64!"},
            {"password": PASSWORD, "params": {"m": -1}},
            {"password": PASSWORD, "params": {"m": 1e300}},
            {"password": PASSWORD, "algorithm": "md5-crypt"},
            {"password": PASSWORD, "params": {"m": 1 << 40}},
        ]
        for body in cases:
            response, data = self.daemon.unix("POST", "/v1/hash", body)
            error = self.assert_error(response, data, 400)
            self.assertNotIn("pw", error["message"].split("'"), body)
        response, data = self.daemon.unix("POST", "/v1/hash", b'{"password": "\xff\xfe"}')
        self.assert_error(response, data, 400)
        response, data = self.daemon.unix("POST", "/v1/verify", {"password": PASSWORD, "hash": 5})
        self.assert_error(response, data, 400)

    def test_404_405_415(self):
        self.assert_error(*self.daemon.unix("GET", "/v2/hash"), 404, "not_found")
        response, data = self.daemon.unix("GET", "/v1/hash")
        self.assert_error(response, data, 405, "method_not_allowed")
        self.assertEqual(response.getheader("Allow"), "POST")
        response, data = self.daemon.unix("POST", "/v1/hash", '{"password":"pw"}',
                                          headers={"Content-Type": "text/plain"})
        self.assert_error(response, data, 415, "unsupported_media_type")

    def test_401_without_or_with_wrong_key(self):
        response, data = self.daemon.tcp("POST", "/v1/hash", {"password": PASSWORD}, key=None)
        self.assert_error(response, data, 401, "unauthorized")
        self.assertEqual(response.getheader("WWW-Authenticate"), 'Bearer realm="pwsvcd"')
        self.assert_error(*self.daemon.tcp("POST", "/v1/hash", {"password": PASSWORD}, key="wrong"),
                          401, "unauthorized")
        self.assert_error(*self.daemon.tcp("GET", "/metrics", key=None), 401)

    def test_411_and_413(self):
        with socket.create_connection(("127.0.0.1", self.daemon.port), timeout=10) as raw:
            raw.sendall(b"POST /v1/hash HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                        b"Authorization: Bearer " + API_KEY.encode() + b"\r\n\r\n")
            reply = raw.recv(4096)
        self.assertTrue(reply.startswith(b"HTTP/1.1 411"), reply)
        # The daemon answers 413 from Content-Length alone and closes, so the
        # body is never sent: a client still writing it could hit a broken pipe.
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as raw:
            raw.settimeout(10)
            raw.connect(self.daemon.socket_path)
            raw.sendall(b"POST /v1/hash HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                        b"Content-Length: 70000\r\n\r\n")
            reply = raw.recv(4096)
        self.assertTrue(reply.startswith(b"HTTP/1.1 413"), reply)
        self.assertIn(b"payload_too_large", reply)

    def test_oversized_headers_are_rejected(self):
        response, data = self.daemon.unix("GET", "/healthz", headers={"X-Big": "a" * 20000})
        self.assertEqual(response.status, 431)


class LimitsTest(unittest.TestCase):
    def test_rate_limit_gives_429_with_retry_after(self):
        daemon = Daemon(BASE_CONFIG + "\n[daemon.rate_limit]\nrequests_per_second = 1\nburst = 2\n")
        try:
            statuses = []
            for _ in range(5):
                response, data = daemon.unix("POST", "/v1/identify", {"hash": "*"})
                statuses.append(response.status)
                if response.status == 429:
                    self.assertIsNotNone(response.getheader("Retry-After"))
            self.assertIn(429, statuses)
            self.assertEqual(statuses[:2], [200, 200])
        finally:
            daemon.stop()

    def test_failed_verifies_per_subject(self):
        daemon = Daemon(BASE_CONFIG + "\n[daemon.rate_limit]\nfailed_verifies_per_minute = 2\n")
        try:
            stored = json.loads(daemon.unix("POST", "/v1/hash", {"password": PASSWORD})[1])["hash"]
            statuses = [daemon.unix("POST", "/v1/verify", {"password": "bad", "hash": stored,
                                                           "subject": "alice"})[0].status
                        for _ in range(4)]
            self.assertEqual(statuses[:2], [200, 200])
            self.assertEqual(statuses[3], 429)
            other = daemon.unix("POST", "/v1/verify", {"password": PASSWORD, "hash": stored,
                                                       "subject": "bob"})
            self.assertEqual(other[0].status, 200)
        finally:
            daemon.stop()

    def test_back_to_back_requests_find_the_worker_free(self):
        # One worker and a queue deadline shorter than two derivations: a job
        # that had to wait would be rejected, and a worker still counted busy
        # after sending its response would make the next request wait.
        config = BASE_CONFIG.replace("m = 64\nt = 1", "m = 65536\nt = 2") + \
            "\n[daemon]\nworkers = 1\nqueue_timeout_ms = 100\n"
        daemon = Daemon(config)
        try:
            connection = UnixConnection(daemon.socket_path)
            statuses = []
            for _ in range(12):
                connection.request("POST", "/v1/hash", body=json.dumps({"password": PASSWORD}),
                                   headers={"Content-Type": "application/json"})
                response = connection.getresponse()
                response.read()
                statuses.append(response.status)
            connection.close()
            self.assertEqual(statuses, [200] * 12)
        finally:
            daemon.stop()

    def test_unknown_user_counts_as_a_failed_verify(self):
        daemon = Daemon(BASE_CONFIG + "\n[daemon.rate_limit]\nfailed_verifies_per_minute = 2\n")
        try:
            statuses = [daemon.unix("POST", "/v1/verify", {"password": PASSWORD, "hash": None,
                                                           "subject": "nobody"})[0].status
                        for _ in range(4)]
            self.assertEqual(statuses[:2], [200, 200])
            self.assertEqual(statuses[3], 429)
        finally:
            daemon.stop()

    def test_retry_after_is_capped_at_a_day(self):
        daemon = Daemon(BASE_CONFIG + "\n[daemon.rate_limit]\nfailed_verifies_per_minute = 1e-9\n")
        try:
            body = {"password": PASSWORD, "hash": None, "subject": "slow"}
            responses = [daemon.unix("POST", "/v1/verify", body)[0] for _ in range(3)]
            self.assertEqual(responses[-1].status, 429)
            self.assertEqual(responses[-1].getheader("Retry-After"), "86400")
        finally:
            daemon.stop()

    def test_unix_peer_not_in_allow_list_is_403(self):
        daemon = Daemon(BASE_CONFIG + "\n[daemon]\nallowed_uids = [4242]\n")
        try:
            response, data = daemon.unix("POST", "/v1/hash", {"password": PASSWORD})
            self.assertEqual(response.status, 403)
        finally:
            daemon.stop()

    def test_request_over_the_whole_budget_is_400(self):
        daemon = Daemon(BASE_CONFIG, extra_args=("--memory-budget", "1MiB"))
        try:
            response, data = daemon.unix("POST", "/v1/hash", {
                "password": PASSWORD, "algorithm": "argon2id", "params": {"m": 2048}})
            self.assertEqual(response.status, 400, data)
            self.assertIsNone(response.getheader("Retry-After"))
            error = json.loads(data)["error"]
            self.assertEqual(error["code"], "limit_exceeded")
            self.assertIn("daemon.memory_budget (1024 KiB)", error["message"])
        finally:
            self.assertEqual(daemon.stop(), 0)

    def test_memory_budget_under_a_burst(self):
        config = BASE_CONFIG.replace("m = 64", "m = 16384") + "\n[daemon]\nworkers = 2\n"
        daemon = Daemon(config, extra_args=("--memory-budget", "40MiB"))
        try:
            def send(_):
                response, data = daemon.unix("POST", "/v1/hash", {"password": PASSWORD})
                return response.status, response.getheader("Retry-After")

            with concurrent.futures.ThreadPoolExecutor(max_workers=16) as pool:
                results = list(pool.map(send, range(48)))
            statuses = [status for status, _ in results]
            self.assertIn(200, statuses)
            self.assertIn(503, statuses)
            self.assertTrue(all(status in (200, 503) for status in statuses), statuses)
            self.assertTrue(all(retry for status, retry in results if status == 503))
            self.assertEqual(daemon.unix("GET", "/healthz")[0].status, 200)

            with open(f"/proc/{daemon.process.pid}/status", encoding="utf-8") as status_file:
                peak_kib = int(re.search(r"VmHWM:\s+(\d+)", status_file.read()).group(1))
            # Two 16 MiB Argon2 calls fit in the budget; the rest is fixed overhead.
            self.assertLess(peak_kib, 40 * 1024 + 32 * 1024)
        finally:
            daemon.stop()


class LifecycleTest(unittest.TestCase):
    def test_sighup_reloads_and_keeps_old_config_when_invalid(self):
        daemon = Daemon()
        try:
            with open(daemon.config_path, "w", encoding="utf-8") as file:
                file.write(BASE_CONFIG.replace("m = 64", "m = 128"))
            daemon.process.send_signal(signal.SIGHUP)
            self._wait_for_event(daemon, "reloaded")
            stored = json.loads(daemon.unix("POST", "/v1/hash", {"password": PASSWORD})[1])["hash"]
            self.assertIn("m=128,", stored)

            with open(daemon.config_path, "w", encoding="utf-8") as file:
                file.write("[policy]\nalgorithm = 'nope'\n")
            daemon.process.send_signal(signal.SIGHUP)
            self._wait_for_event(daemon, "reload_rejected")
            stored = json.loads(daemon.unix("POST", "/v1/hash", {"password": PASSWORD})[1])["hash"]
            self.assertIn("m=128,", stored)

            # A setting that needs a restart is named in a warning.
            with open(daemon.config_path, "w", encoding="utf-8") as file:
                file.write(BASE_CONFIG + "\n[daemon]\nworkers = 1\nmax_queue = 7\n")
            daemon.process.send_signal(signal.SIGHUP)
            deadline = time.monotonic() + 10
            reloads = []
            while len(reloads) < 2 and time.monotonic() < deadline:
                time.sleep(0.02)
                reloads = [event for event in daemon.log_events()
                           if event.get("event") == "reloaded"]
            self.assertEqual(len(reloads), 2)
            self.assertNotIn("restart_needed", reloads[0])
            self.assertEqual(reloads[1]["level"], "warn")
            self.assertEqual(reloads[1]["restart_needed"], ["daemon.workers", "daemon.max_queue"])
        finally:
            self.assertEqual(daemon.stop(), 0)

    def test_sighup_picks_up_a_new_keyring(self):
        keyring = os.path.join(tempfile.mkdtemp(prefix="pwsvcd-keyring-"), "keyring")
        key_one = "key k1 2026-12-01T10:00:00Z " + base64.b64encode(b"\x01" * 32).decode()
        key_two = "key k2 2026-12-04T10:00:00Z " + base64.b64encode(b"\x02" * 32).decode()
        write_private(keyring, f"active k1\n{key_one}\n")
        daemon = Daemon(BASE_CONFIG + f'[pepper]\nkeyring = "{keyring}"\n')
        statuses = []
        stop = threading.Event()

        def keep_hashing():
            while not stop.is_set():
                statuses.append(daemon.unix("POST", "/v1/hash", {"password": PASSWORD})[0].status)

        try:
            old = json.loads(daemon.unix("POST", "/v1/hash", {"password": PASSWORD})[1])["hash"]
            self.assertTrue(old.startswith("$pwsvc-sealed$v=1,key=k1$"))
            worker = threading.Thread(target=keep_hashing)
            worker.start()
            write_private(keyring, f"active k2\n{key_one}\n{key_two}\n")
            daemon.process.send_signal(signal.SIGHUP)
            self._wait_for_event(daemon, "reloaded")
            stop.set()
            worker.join()

            new = json.loads(daemon.unix("POST", "/v1/hash", {"password": PASSWORD})[1])["hash"]
            verdict = json.loads(daemon.unix("POST", "/v1/verify",
                                             {"password": PASSWORD, "hash": old})[1])
            self.assertTrue(new.startswith("$pwsvc-sealed$v=1,key=k2$"))
            self.assertTrue(verdict["match"])
            self.assertTrue(verdict["needs_rehash"])
            self.assertEqual(verdict["rehash_reasons"], ["peppered with key 'k1'; the active key is 'k2'"])
            self.assertGreater(len(statuses), 0)
            self.assertEqual(set(statuses), {200})
            for line in daemon.log_text().splitlines():
                self.assertNotIn(base64.b64encode(b"\x02" * 32).decode(), line)
        finally:
            stop.set()
            self.assertEqual(daemon.stop(), 0)

    def test_sigterm_drains_in_flight_work(self):
        config = BASE_CONFIG.replace("m = 64\nt = 1", "m = 65536\nt = 8")
        daemon = Daemon(config)
        results = []

        def slow_request():
            results.append(daemon.unix("POST", "/v1/hash", {"password": PASSWORD}))

        thread = threading.Thread(target=slow_request)
        thread.start()
        time.sleep(0.2)
        self.assertEqual(daemon.stop(), 0)
        thread.join()
        response, data = results[0]
        self.assertEqual(response.status, 200, data)
        self.assertFalse(os.path.exists(daemon.socket_path))

    def test_no_secret_in_logs_or_metrics(self):
        daemon = Daemon()
        try:
            stored = json.loads(daemon.unix("POST", "/v1/hash", {"password": SENTINEL})[1])["hash"]
            daemon.unix("POST", "/v1/verify", {"password": SENTINEL, "hash": stored})
            daemon.unix("POST", "/v1/verify", {"password": SENTINEL + "x", "hash": stored})
            daemon.unix("POST", "/v1/hash", {"password": SENTINEL, "bogus": SENTINEL})
            daemon.tcp("POST", "/v1/hash", {"password": SENTINEL}, key=SENTINEL)
            metrics = daemon.tcp("GET", "/metrics")[1].decode()
        finally:
            daemon.stop()
        for text in (daemon.log_text(), metrics):
            self.assertNotIn(SENTINEL, text)
            self.assertNotIn(stored.split("$")[-1], text)
            self.assertNotIn(API_KEY, text)
        requests = [event for event in daemon.log_events() if event.get("event") == "request"]
        self.assertTrue(any(event.get("scheme") == "argon2id" and event["route"] == "/v1/verify"
                            for event in requests))
        for event in requests:
            self.assertLessEqual({"request_id", "route", "status", "latency_us", "client"},
                                 set(event))
        self.assertIn("pwsvc_requests_total", metrics)
        self.assertIn('pwsvc_kdf_seconds_count{scheme="argon2id"}', metrics)

    @staticmethod
    def _wait_for_event(daemon, name):
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if any(event.get("event") == name for event in daemon.log_events()):
                return
            time.sleep(0.02)
        raise AssertionError(f"no {name} event in the log")



def write_private(path, text):
    """Replaces `path` with `text`, mode 0600, through a rename."""
    temporary = path + ".new"
    with open(os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "w") as file:
        file.write(text)
    os.replace(temporary, path)


def make_certificate(directory, name):
    """Write a self-signed P-256 certificate for 127.0.0.1 and localhost, and return the
    paths of the certificate and its key."""
    certificate = os.path.join(directory, f"{name}-cert.pem")
    key = os.path.join(directory, f"{name}-key.pem")
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
         "-nodes", "-keyout", key, "-out", certificate, "-days", "2", "-subj", "/CN=localhost",
         "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost"],
        check=True, capture_output=True)
    return certificate, key


def tls_config(certificate, key, extra=""):
    return BASE_CONFIG + (f'\n[daemon]\ntls_certificate = "{certificate}"\n'
                          f'tls_private_key = "{key}"\n{extra}')


def run_until_exit(config, *listen):
    """Run pwsvcd with `config`, which must make it exit at start-up, and return the exit
    status and stderr."""
    directory = tempfile.mkdtemp(prefix="pwsvcd-test-")
    try:
        config_path = os.path.join(directory, "pwsvc.toml")
        with open(config_path, "w", encoding="utf-8") as file:
            file.write(config)
        arguments = [PWSVCD, "--config", config_path]
        for address in listen or ("127.0.0.1:0",):
            arguments += ["--listen", address]
        result = subprocess.run(arguments, capture_output=True, timeout=10)
        return result.returncode, result.stderr.decode("utf-8", "replace")
    finally:
        shutil.rmtree(directory, ignore_errors=True)


class ListenOptionTest(unittest.TestCase):
    def test_invalid_listen_addresses_exit_2(self):
        for address in ("127.0.0.1:70000", "127.0.0.1:abc", "127.0.0.1:", "localhost:80",
                        "unix:relative.sock", "127.0.0.1:99999999999999999999"):
            with self.subTest(address=address):
                status, stderr = run_until_exit(BASE_CONFIG, address)
                self.assertEqual(status, 2, stderr)
                self.assertIn(f"invalid --listen '{address}'", stderr)


class TlsTest(unittest.TestCase):
    """TCP listeners with daemon.tls_certificate and daemon.tls_private_key set."""

    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.mkdtemp(prefix="pwsvcd-tls-test-")
        cls.certificate, cls.key = make_certificate(cls.dir, "server")
        cls.other_key = os.path.join(cls.dir, "other-key.pem")
        subprocess.run(["openssl", "genpkey", "-algorithm", "EC", "-pkeyopt",
                        "ec_paramgen_curve:P-256", "-out", cls.other_key],
                       check=True, capture_output=True)
        cls.daemon = Daemon(tls_config(cls.certificate, cls.key))

    @classmethod
    def tearDownClass(cls):
        cls.daemon.stop()
        shutil.rmtree(cls.dir, ignore_errors=True)

    def client_context(self, maximum=None):
        context = ssl.create_default_context(cafile=self.certificate)
        if maximum is not None:
            context.maximum_version = maximum
        return context

    def https(self, method, path, body=None, key=API_KEY, port=None):
        headers = {} if key is None else {"Authorization": f"Bearer {key}"}
        connection = http.client.HTTPSConnection("127.0.0.1", port or self.daemon.port,
                                                 timeout=30, context=self.client_context())
        return Daemon._send(connection, method, path, body, headers)

    def handshake(self, maximum=None):
        raw = socket.create_connection(("127.0.0.1", self.daemon.port), timeout=10)
        return self.client_context(maximum).wrap_socket(raw, server_hostname="127.0.0.1")

    def test_hash_and_verify_over_https(self):
        response, data = self.https("POST", "/v1/hash", {"password": "hunter2-orchid"})
        self.assertEqual(response.status, 200, data)
        stored = json.loads(data)["hash"]
        response, data = self.https("POST", "/v1/verify", {"password": "hunter2-orchid", "hash": stored})
        self.assertEqual(response.status, 200, data)
        self.assertTrue(json.loads(data)["match"])
        response, data = self.https("POST", "/v1/verify", {"password": "hunter3", "hash": stored})
        self.assertFalse(json.loads(data)["match"])

    def test_https_still_needs_the_api_key(self):
        response, data = self.https("POST", "/v1/hash", {"password": PASSWORD}, key=None)
        self.assertEqual(response.status, 401, data)

    def test_tls_13_preferred_and_12_accepted(self):
        with self.handshake() as connection:
            self.assertEqual(connection.version(), "TLSv1.3")
            self.assertIsNone(connection.compression())
        with self.handshake(maximum=ssl.TLSVersion.TLSv1_2) as connection:
            self.assertEqual(connection.version(), "TLSv1.2")
            cipher = connection.cipher()[0]
        # TLS 1.2 suites are limited to ECDHE key exchange with an AEAD cipher.
        self.assertTrue(cipher.startswith("ECDHE-"), cipher)
        self.assertTrue("GCM" in cipher or "CHACHA20" in cipher, cipher)

    def test_plaintext_request_gets_no_http_answer(self):
        with socket.create_connection(("127.0.0.1", self.daemon.port), timeout=10) as raw:
            raw.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
            reply = b""
            while chunk := raw.recv(4096):
                reply += chunk
        self.assertFalse(reply.startswith(b"HTTP/"), reply)
        response, data = self.https("GET", "/metrics")
        self.assertIn('pwsvc_rejections_total{reason="tls_handshake"}', data.decode())

    def test_unix_socket_stays_plain_http(self):
        response, data = self.daemon.unix("GET", "/healthz")
        self.assertEqual(response.status, 200, data)

    def test_listener_log_marks_tls(self):
        listening = [e for e in self.daemon.log_events() if e.get("event") == "listening"
                     and "port" in e]
        self.assertTrue(listening)
        self.assertTrue(all(event["tls"] for event in listening), listening)

    def test_mismatched_key_fails_start_up(self):
        status, stderr = run_until_exit(tls_config(self.certificate, self.other_key))
        self.assertEqual(status, 2, stderr)
        self.assertIn("pwsvcd: error:", stderr)
        self.assertIn("daemon.tls_private_key", stderr)
        self.assertIn(self.other_key, stderr)
        self.assertIn("does not match", stderr)

    def test_missing_file_fails_start_up(self):
        missing = os.path.join(self.dir, "missing.pem")
        status, stderr = run_until_exit(tls_config(missing, self.key))
        self.assertEqual(status, 2, stderr)
        self.assertIn("pwsvcd: error:", stderr)
        self.assertIn("daemon.tls_certificate", stderr)
        self.assertIn(missing, stderr)

    def test_key_file_as_certificate_fails_start_up(self):
        status, stderr = run_until_exit(tls_config(self.key, self.key))
        self.assertEqual(status, 2, stderr)
        self.assertIn("daemon.tls_certificate", stderr)
        self.assertIn(self.key, stderr)

    def test_only_one_file_fails_start_up(self):
        config = BASE_CONFIG + f'\n[daemon]\ntls_certificate = "{self.certificate}"\n'
        status, stderr = run_until_exit(config)
        self.assertEqual(status, 2, stderr)
        self.assertIn("daemon.tls_private_key", stderr)
        self.assertIn("missing", stderr)

    def test_any_address_starts_with_tls(self):
        daemon = Daemon(tls_config(self.certificate, self.key),
                        extra_args=("--listen", "0.0.0.0:0"))
        try:
            any_address = [e for e in daemon.log_events() if e.get("event") == "listening"
                           and e.get("address", "").startswith("0.0.0.0:")]
            self.assertEqual(len(any_address), 1, daemon.log_text())
            self.assertTrue(any_address[0]["tls"])
            # A 0.0.0.0 listener also accepts on loopback, so the test never leaves this host.
            response, data = self.https("GET", "/healthz", port=any_address[0]["port"])
            self.assertEqual(response.status, 200, data)
        finally:
            self.assertEqual(daemon.stop(), 0)

    def test_any_address_rejected_without_tls(self):
        status, stderr = run_until_exit(BASE_CONFIG, "0.0.0.0:0")
        self.assertEqual(status, 2, stderr)
        self.assertIn("0.0.0.0:0 is not on loopback", stderr)
        self.assertIn("daemon.tls_certificate", stderr)

    def test_any_address_plaintext_when_allowed(self):
        daemon = Daemon(BASE_CONFIG + "\n[daemon]\nallow_plaintext = true\n",
                        extra_args=("--listen", "0.0.0.0:0"))
        self.assertEqual(daemon.stop(), 0)


if __name__ == "__main__":
    unittest.main()
