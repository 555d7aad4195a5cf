"""Adversarial tests of the real pwsvcd on a temporary Unix socket and loopback.

Each test is bounded in time. They cover a burst of large Argon2 requests against a small
memory budget, headers sent a byte at a time, hostile JSON bodies, and kill -9 followed by a
restart."""

import concurrent.futures
import json
import os
import re
import signal
import socket
import subprocess
import time
import unittest

from daemon_test import BASE_CONFIG, PASSWORD, Daemon, DaemonCase

# 64 MiB Argon2id requests need the limit raised from the default 256 MiB only
# for the request parameters, not for the policy.
LARGE_CONFIG = BASE_CONFIG + """
[limits]
argon2_max_memory_kib = 65536
[daemon]
workers = 2
"""


def rss_kib(pid, field="VmHWM"):
    """Returns the peak (VmHWM) or current (VmRSS) resident set of process `pid`."""
    with open(f"/proc/{pid}/status", encoding="utf-8") as status:
        return int(re.search(field + r":\s+(\d+)", status.read()).group(1))


class BurstTest(unittest.TestCase):
    def test_large_burst_stays_in_budget(self):
        budget_mib = 192
        daemon = Daemon(LARGE_CONFIG, extra_args=("--memory-budget", f"{budget_mib}MiB"))
        body = {"password": PASSWORD, "params": {"m": 65536, "t": 1, "p": 1}}
        try:
            def send(_):
                response, data = daemon.unix("POST", "/v1/hash", body)
                return response.status, response.getheader("Retry-After"), data

            with concurrent.futures.ThreadPoolExecutor(max_workers=64) as pool:
                results = list(pool.map(send, range(300)))

            statuses = [status for status, _, _ in results]
            self.assertIn(200, statuses)
            self.assertIn(503, statuses)
            self.assertTrue(set(statuses) <= {200, 429, 503}, set(statuses))
            for status, retry_after, data in results:
                if status == 200:
                    self.assertTrue(json.loads(data)["hash"].startswith("$argon2id$v=19$m=65536,"))
                else:
                    self.assertTrue(retry_after, data)
                    self.assertIn("error", json.loads(data))
            # The budget admits at most three 64 MiB runs at once; the rest
            # of the peak is the daemon's fixed overhead.
            self.assertLess(rss_kib(daemon.process.pid), (budget_mib + 48) * 1024)
            self.assertEqual(daemon.unix("GET", "/healthz")[0].status, 200)
        finally:
            self.assertEqual(daemon.stop(), 0)


class SlowClientTest(unittest.TestCase):
    def test_slow_headers_are_cut_off(self):
        daemon = Daemon(BASE_CONFIG + "\n[daemon]\nheader_timeout_ms = 500\n")
        try:
            client = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            client.connect(daemon.socket_path)
            client.settimeout(5)
            started = time.monotonic()
            closed_after = None
            for byte in b"POST /v1/hash HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n":
                try:
                    client.send(bytes([byte]))
                except (BrokenPipeError, ConnectionResetError):
                    closed_after = time.monotonic() - started
                    break
                time.sleep(0.05)
            if closed_after is None:
                reply = client.recv(4096)
                closed_after = time.monotonic() - started
                self.assertTrue(reply == b"" or reply.startswith(b"HTTP/1.1 408"), reply)
            client.close()

            # The whole header would take over 3 s at this pace; the timeout
            # closes the connection after about 0.5 s.
            self.assertLess(closed_after, 2.5)
            self.assertEqual(daemon.unix("GET", "/healthz")[0].status, 200)
        finally:
            self.assertEqual(daemon.stop(), 0)


class HostileBodyTest(DaemonCase):
    def assert_client_error(self, body):
        response, data = self.daemon.unix("POST", "/v1/hash", body)
        self.assertGreaterEqual(response.status, 400, data)
        self.assertLess(response.status, 500, data)
        error = json.loads(data)["error"]
        self.assertEqual(set(error), {"code", "message", "request_id"})
        self.assertEqual(error["request_id"], response.getheader("X-Request-Id"))

    def test_hostile_bodies_get_4xx(self):
        bodies = [
            b'{"password": "\xff\xfe"}',               # invalid UTF-8
            b'{"password": "a\x00b"}',                 # a raw NUL byte
            b'{"password": PASSWORD, "params": {"m": 1e300}}',
            b'{"password": PASSWORD, "params": {"m": 18446744073709551616}}',
            b'{"password": PASSWORD, "extra": 1}',         # an unknown field
            b'{"password": 5}',
            b'{"password": ["pw"]}',
            b'{"password": PASSWORD',                      # cut short
            b'[' * 10000 + b']' * 10000,               # deep nesting
            b'{"password": PASSWORD, "password": "pw2"}',  # a repeated field
            b'',
        ]
        for body in bodies:
            with self.subTest(body=body[:40]):
                self.assert_client_error(body)
        self.assertEqual(self.daemon.unix("GET", "/healthz")[0].status, 200)


class ChunkedBodyTest(DaemonCase):
    """Chunk lines and trailer fields, which Beast's header and body limits do not cover."""

    def send_chunked(self, head, pieces):
        """Sends a chunked POST to /v1/check-password and returns the reply.

        Writing stops when the daemon closes the connection, as it does after
        an early error reply."""
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as raw:
            raw.settimeout(10)
            raw.connect(self.daemon.socket_path)
            raw.sendall(b"POST /v1/check-password HTTP/1.1\r\nHost: x\r\n"
                        b"Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
                        + head)
            try:
                for piece in pieces:
                    raw.sendall(piece)
            except (BrokenPipeError, ConnectionResetError):
                pass
            reply = b""
            try:
                while chunk := raw.recv(65536):
                    reply += chunk
            except ConnectionResetError:
                pass
            return reply

    def assert_error_reply(self, reply, status, code):
        self.assertTrue(reply.startswith(b"HTTP/1.1 %d" % status), reply[:200])
        self.assertIn(b"X-Request-Id: ", reply)
        body = json.loads(reply.split(b"\r\n\r\n", 1)[1])
        self.assertEqual(body["error"]["code"], code)

    def test_long_trailer_fields_get_431(self):
        before = rss_kib(self.daemon.process.pid, "VmRSS")
        field = b"T: " + b"y" * 1000 + b"\r\n"
        reply = self.send_chunked(b"2\r\n{}\r\n0\r\n", (field * 256 for _ in range(64)))
        self.assert_error_reply(reply, 431, "header_too_large")
        # 16 MiB of trailer fields were sent, and the read buffer keeps under 100 KiB.
        self.assertLess(rss_kib(self.daemon.process.pid, "VmRSS") - before, 8 * 1024)

    def test_long_chunk_extension_gets_431(self):
        reply = self.send_chunked(b"2;a=", (b"x" * 65536 for _ in range(64)))
        self.assert_error_reply(reply, 431, "header_too_large")

    def test_malformed_chunk_gets_400(self):
        reply = self.send_chunked(b"zz\r\n{}\r\n0\r\n\r\n", ())
        self.assert_error_reply(reply, 400, "bad_request")

    def test_session_replies_are_counted(self):
        self.send_chunked(b"zz\r\n{}\r\n0\r\n\r\n", ())
        metrics = self.daemon.unix("GET", "/metrics")[1].decode()
        self.assertIn('pwsvc_requests_total{route="/v1/check-password",status="400"} ', metrics)


def cpu_seconds(pid):
    with open(f"/proc/{pid}/stat", encoding="utf-8") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


# The sanitizer runtimes open pipes to check memory before they report, so a
# process out of file descriptors gets false reports from them.
@unittest.skipIf(os.environ.get("PWSVC_SANITIZE"), "needs a pwsvcd built without sanitizers")
class DescriptorLimitTest(unittest.TestCase):
    def test_out_of_descriptors_does_not_spin(self):
        daemon = Daemon(fd_limit=64)
        clients = []
        try:
            for _ in range(80):
                client = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                client.connect(daemon.socket_path)
                clients.append(client)
            time.sleep(0.2)
            before = cpu_seconds(daemon.process.pid)
            time.sleep(1)
            # A loop that retried accept() at once used more than a core here.
            self.assertLess(cpu_seconds(daemon.process.pid) - before, 0.3)
            failures = [event for event in daemon.log_events() if event.get("event") == "accept_failed"]
            self.assertEqual(len(failures), 1, failures)
        finally:
            for client in clients:
                client.close()
        try:
            # Connections that waited in the backlog are closed by their
            # clients now, and the daemon serves again.
            deadline = time.monotonic() + 5
            while daemon.unix("GET", "/healthz")[0].status != 200:
                self.assertLess(time.monotonic(), deadline)
        finally:
            self.assertEqual(daemon.stop(), 0)


class CrashTest(unittest.TestCase):
    def test_restart_after_kill_is_quick(self):
        daemon = Daemon()
        stored = json.loads(daemon.unix("POST", "/v1/hash", {"password": PASSWORD})[1])["hash"]
        daemon.process.send_signal(signal.SIGKILL)
        daemon.process.wait(timeout=10)
        daemon.stderr.close()

        # The stale socket file is still there; the new daemon must replace it.
        # The second daemon reuses the first one's directory, config and socket path.
        self.assertTrue(os.path.exists(daemon.socket_path))
        started = time.monotonic()
        again = Daemon.__new__(Daemon)
        again.__dict__.update(daemon.__dict__)
        again.stderr = open(os.path.join(daemon.dir, "stderr-2.log"), "wb")
        again.process = subprocess.Popen(
            [os.environ["PWSVCD_BIN"], "--config", daemon.config_path,
             "--listen", f"unix:{daemon.socket_path}", "--listen", "127.0.0.1:0"],
            stdout=subprocess.DEVNULL, stderr=again.stderr)
        try:
            deadline = time.monotonic() + 5
            while True:
                try:
                    if again.unix("GET", "/readyz")[0].status == 200:
                        break
                except OSError:
                    pass
                self.assertLess(time.monotonic(), deadline, "not ready within 5 s")
                time.sleep(0.02)
            ready_after = time.monotonic() - started
            result = json.loads(again.unix("POST", "/v1/verify",
                                           {"password": PASSWORD, "hash": stored})[1])
            self.assertTrue(result["match"])
            self.assertLess(ready_after, 2)
        finally:
            self.assertEqual(again.stop(), 0)


if __name__ == "__main__":
    unittest.main()
