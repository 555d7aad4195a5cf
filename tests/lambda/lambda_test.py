"""End-to-end tests of the Lambda bootstrap: the real binary under a Runtime API emulator."""

import atexit
import base64
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import unittest

from runtime_emulator import RuntimeEmulator

BOOTSTRAP = os.environ["PWSVC_BOOTSTRAP_BIN"]
VECTORS = os.environ["PWSVC_VECTORS_DIR"]
sys.path.insert(0, VECTORS)
from vector_rows import expected_match, read_jsonl  # noqa: E402

SENTINEL = "Sentinel-Password-4c1e8b"

FAST_CONFIG = """
[policy.argon2id]
m = 64
t = 1
p = 1

[logging]
level = "info"
"""

# 384 MiB of Argon2 memory passes per hash: over 100 ms on any current core and
# about 300 ms on the 2-core test machine, more than a 150 ms deadline allows.
SLOW_CONFIG = """
[policy.argon2id]
m = 65536
t = 6
p = 1

[logging]
level = "info"
"""


class Bootstrap:
    """Runs the bootstrap against a fresh emulator, with `env` added to its environment."""

    def __init__(self, env):
        self.emulator = RuntimeEmulator()
        self.dir = tempfile.mkdtemp(prefix="pwsvc-lambda-test-")
        # Removed when the test process exits, after any test has read its logs.
        atexit.register(shutil.rmtree, self.dir, True)
        self.stdout_path = os.path.join(self.dir, "stdout.log")
        self.stdout = open(self.stdout_path, "wb")
        full_env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"),
                    "LAMBDA_TASK_ROOT": self.dir,
                    "AWS_LAMBDA_RUNTIME_API": self.emulator.endpoint}
        full_env.update(env)
        self.process = subprocess.Popen([BOOTSTRAP], env=full_env, stdout=self.stdout,
                                        stderr=subprocess.PIPE)

    def stop(self):
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait(timeout=10)
        self.process.stderr.close()
        self.stdout.close()
        self.emulator.close()

    def log_text(self):
        with open(self.stdout_path, "rb") as file:
            return file.read().decode("utf-8", "replace")

    def log_lines(self):
        return [json.loads(line) for line in self.log_text().splitlines() if line.strip()]


def http_v2(method, path, body=None, base64_body=False, content_type="application/json",
            stage="$default"):
    event = {
        "version": "2.0",
        "routeKey": "$default",
        "rawPath": path,
        "rawQueryString": "",
        "headers": {"host": "example.lambda-url.us-east-1.on.aws"},
        "requestContext": {
            "http": {"method": method, "path": path, "protocol": "HTTP/1.1",
                     "sourceIp": "192.0.2.10"},
            "requestId": "apigw-v2-id",
            "stage": stage,
        },
        "isBase64Encoded": base64_body,
    }
    if content_type:
        event["headers"]["content-type"] = content_type
    if body is not None:
        text = json.dumps(body) if isinstance(body, dict) else body
        event["body"] = base64.b64encode(text.encode()).decode() if base64_body else text
    return event


def rest_v1(method, path, body=None):
    return {
        "resource": path,
        "path": path,
        "httpMethod": method,
        "headers": {"Content-Type": "application/json"},
        "multiValueHeaders": {"Content-Type": ["application/json"]},
        "requestContext": {"requestId": "apigw-v1-id", "stage": "prod",
                           "identity": {"sourceIp": "192.0.2.11"}},
        "body": json.dumps(body) if body is not None else None,
        "isBase64Encoded": False,
    }


class BootstrapCase(unittest.TestCase):
    env = {"PWSVC_CONFIG_TOML": FAST_CONFIG}

    @classmethod
    def setUpClass(cls):
        cls.bootstrap = Bootstrap(cls.env)
        cls.emulator = cls.bootstrap.emulator
        cls.emulator.wait_for_next()

    @classmethod
    def tearDownClass(cls):
        cls.bootstrap.stop()

    def proxy_response(self, event):
        result = self.emulator.invoke(event)
        self.assertEqual(result.kind, "response", result.body)
        response = result.json()
        self.assertFalse(response["isBase64Encoded"])
        return response, json.loads(response["body"])

    def assert_http_error(self, event, status, code):
        response, body = self.proxy_response(event)
        self.assertEqual(response["statusCode"], status, body)
        self.assertEqual(body["error"]["code"], code)
        self.assertTrue(body["error"]["message"])
        return response, body


class DirectInvocationTest(BootstrapCase):
    def test_hash_then_verify(self):
        hashed = self.emulator.invoke({"action": "hash", "password": SENTINEL})
        self.assertEqual(hashed.kind, "response", hashed.body)
        stored = hashed.json()["hash"]
        self.assertTrue(stored.startswith("$argon2id$v=19$m=64,t=1,p=1$"), stored)

        match = self.emulator.invoke({"action": "verify", "password": SENTINEL, "hash": stored})
        self.assertEqual(match.kind, "response", match.body)
        self.assertTrue(match.json()["match"])
        mismatch = self.emulator.invoke({"action": "verify", "password": "wrong", "hash": stored})
        self.assertFalse(mismatch.json()["match"])

    def test_identify(self):
        result = self.emulator.invoke(
            {"action": "identify", "hash": "$2b$04$abcdefghijklmnopqrstuu5/9cXj6yF1Bke0ZmD/lcIKeCGOZJBSe"})
        self.assertEqual(result.kind, "response", result.body)
        self.assertEqual(result.json()["scheme"], "bcrypt")

    def test_bad_field_is_an_invocation_error(self):
        result = self.emulator.invoke({"action": "hash", "password": SENTINEL, "bogus": 1})
        self.assertEqual(result.kind, "error")
        self.assertEqual(result.error_type, "invalid_argument")
        body = result.json()
        self.assertEqual(body["errorType"], "invalid_argument")
        self.assertIn("bogus", body["errorMessage"])

    def test_password_policy_refuses_and_reports(self):
        refused = self.emulator.invoke({"action": "hash", "password": "hunter2"})
        self.assertEqual(refused.kind, "error")
        self.assertEqual(refused.error_type, "too_short")
        context = self.emulator.invoke({"action": "hash", "password": SENTINEL,
                                        "context": ["sentinel"]})
        self.assertEqual(context.error_type, "context_word")

        report = self.emulator.invoke({"action": "check-password", "password": "hunter2"})
        self.assertEqual(report.kind, "response", report.body)
        self.assertFalse(report.json()["acceptable"])
        failed = [rule["rule"] for rule in report.json()["rules"] if not rule["passed"]]
        self.assertEqual(failed, ["too_short", "weak"])

        status = self.proxy_response(http_v2("POST", "/v1/hash", {"password": "hunter2"}))
        self.assertEqual(status[0]["statusCode"], 422)
        self.assertEqual(status[1]["error"]["code"], "too_short")

    def test_unknown_action(self):
        result = self.emulator.invoke({"action": "encrypt", "password": SENTINEL})
        self.assertEqual(result.kind, "error")
        self.assertEqual(result.error_type, "invalid_event")
        self.assertIn("action", result.json()["errorMessage"])


class HttpEventTest(BootstrapCase):
    def test_v2_hash_and_verify_with_base64_body(self):
        response, body = self.proxy_response(
            http_v2("POST", "/v1/hash", {"password": SENTINEL}, base64_body=True))
        self.assertEqual(response["statusCode"], 200)
        self.assertEqual(response["headers"]["content-type"], "application/json")
        self.assertEqual(response["headers"]["cache-control"], "no-store")
        stored = body["hash"]

        response, body = self.proxy_response(
            http_v2("POST", "/v1/verify", {"password": SENTINEL, "hash": stored}, base64_body=True))
        self.assertEqual(response["statusCode"], 200)
        self.assertTrue(body["match"])

    def test_v2_named_stage_prefix(self):
        response, body = self.proxy_response(
            http_v2("POST", "/prod/v1/identify", {"hash": "{SHA}W6ph5Mm5Pz8GgiULbPgzG37mj9g="},
                    stage="prod"))
        self.assertEqual(response["statusCode"], 200, body)
        self.assertEqual(body["scheme"], "ldap-sha1")

    def test_v1_rest_verify(self):
        hashed = self.emulator.invoke({"action": "hash", "password": SENTINEL}).json()["hash"]
        response, body = self.proxy_response(
            rest_v1("POST", "/v1/verify", {"password": SENTINEL + "x", "hash": hashed}))
        self.assertEqual(response["statusCode"], 200)
        self.assertFalse(body["match"])

    def test_v1_rest_policy(self):
        response, body = self.proxy_response(rest_v1("GET", "/v1/policy"))
        self.assertEqual(response["statusCode"], 200)
        self.assertEqual(body["policy"]["algorithm"], "argon2id")

    def test_vectors_verify(self):
        # Two vectors per scheme family, one match and one mismatch.
        picked = {}
        for vector in read_jsonl("interop.jsonl"):
            picked.setdefault((vector["scheme"], expected_match(vector)), vector)
        self.assertGreater(len(picked), 20)
        for (scheme, expected), vector in sorted(picked.items()):
            password = base64.b64decode(vector["password_b64"])
            try:
                text = password.decode("utf-8")
            except UnicodeDecodeError:
                continue
            with self.subTest(id=vector["id"], scheme=scheme):
                response, body = self.proxy_response(
                    http_v2("POST", "/v1/verify", {"password": text, "hash": vector["hash"]}))
                self.assertEqual(response["statusCode"], 200, body)
                self.assertEqual(body["match"], expected)

    def test_errors_match_pwsvcd(self):
        _, body = self.assert_http_error(http_v2("POST", "/v1/hash", "{not json"), 400,
                                         "invalid_argument")
        self.assertTrue(body["error"]["request_id"])
        self.assert_http_error(http_v2("GET", "/v1/nothing"), 404, "not_found")
        response, _ = self.assert_http_error(http_v2("GET", "/v1/hash"), 405, "method_not_allowed")
        self.assertEqual(response["headers"]["allow"], "POST")
        self.assert_http_error(
            http_v2("POST", "/v1/hash", {"password": SENTINEL}, content_type="text/plain"),
            415, "unsupported_media_type")

    def test_error_request_id_is_aws_request_id(self):
        request_id = self.emulator.enqueue(http_v2("POST", "/v1/verify", "{}"))
        result = self.emulator.wait_for(request_id)
        body = json.loads(result.json()["body"])
        self.assertEqual(body["error"]["request_id"], request_id)
        self.assertEqual(result.json()["headers"]["x-request-id"], request_id)

    def test_bad_base64_body(self):
        event = http_v2("POST", "/v1/hash", None, base64_body=True)
        event["body"] = "***not base64***"
        self.assert_http_error(event, 400, "invalid_argument")

    def test_body_over_limit(self):
        event = http_v2("POST", "/v1/hash", {"password": "p" * 70000})
        self.assert_http_error(event, 413, "payload_too_large")


class MalformedEventTest(BootstrapCase):
    def test_not_json(self):
        result = self.emulator.invoke(b"{this is not json")
        self.assertEqual(result.kind, "error")
        self.assertEqual(result.error_type, "invalid_event")
        self.assertEqual(result.json()["errorType"], "invalid_event")

    def test_json_but_no_known_kind(self):
        for event in ([1, 2], {"Records": []}, "text", {"requestContext": {}}):
            with self.subTest(event=event):
                result = self.emulator.invoke(event)
                self.assertEqual(result.kind, "error")
                self.assertEqual(result.error_type, "invalid_event")

    def test_still_serves_after_bad_events(self):
        self.emulator.invoke(b"\x00\xff")
        result = self.emulator.invoke({"action": "identify", "hash": "$1$abc$def"})
        self.assertEqual(result.kind, "response", result.body)

    def test_event_over_the_size_limit(self):
        # Lambda caps synchronous events at 6 MB (its Invoke API reference), and
        # this one is 7 MB, as an emulator or a future limit could send.
        big = self.emulator.enqueue({"action": "check-password", "password": "a" * 7_000_000})
        after = self.emulator.enqueue({"action": "identify", "hash": "$1$abc$def"})
        result = self.emulator.wait_for(big)
        self.assertEqual(result.kind, "error")
        self.assertEqual(result.error_type, "invalid_event")
        self.assertIn("larger than", result.json()["errorMessage"])
        self.assertEqual(self.emulator.wait_for(after).kind, "response")
        self.assertIsNone(self.bootstrap.process.poll())
        logged = [line for line in self.bootstrap.log_lines()
                  if line.get("aws_request_id") == big]
        self.assertEqual([line["event"] for line in logged], ["invalid_event"])


class LogTest(BootstrapCase):
    def test_lines_carry_request_id_and_no_secret(self):
        ids = [self.emulator.enqueue({"action": "hash", "password": SENTINEL}),
               self.emulator.enqueue(http_v2("POST", "/v1/hash", {"password": SENTINEL},
                                             base64_body=True)),
               self.emulator.enqueue({"action": "hash", "password": SENTINEL, "bad": SENTINEL})]
        for request_id in ids:
            self.emulator.wait_for(request_id)
        time.sleep(0.1)

        lines = self.bootstrap.log_lines()
        self.assertEqual(lines[0]["event"], "started")
        logged = {line.get("aws_request_id") for line in lines if line["event"] == "request"}
        for request_id in ids:
            self.assertIn(request_id, logged)
        text = self.bootstrap.log_text()
        self.assertNotIn(SENTINEL, text)
        self.assertNotIn(base64.b64encode(json.dumps({"password": SENTINEL}).encode()).decode(),
                         text)
        self.assertNotIn("$argon2id$", text)


class ConfigFileTest(unittest.TestCase):
    def test_packaged_config_file(self):
        with tempfile.TemporaryDirectory() as root:
            with open(os.path.join(root, "custom.toml"), "w", encoding="utf-8") as file:
                file.write("[policy.argon2id]\nm = 128\nt = 1\np = 1\n")
            bootstrap = Bootstrap({"LAMBDA_TASK_ROOT": root, "PWSVC_CONFIG": "custom.toml"})
            try:
                result = bootstrap.emulator.invoke({"action": "hash", "password": SENTINEL})
                self.assertIn("m=128,t=1,p=1", result.json()["hash"])
            finally:
                bootstrap.stop()


KEY_ONE = "key k1 2026-12-01T10:00:00Z " + base64.b64encode(b"\x01" * 32).decode()
KEY_TWO = "key k2 2026-12-04T10:00:00Z " + base64.b64encode(b"\x02" * 32).decode()


class PepperTest(BootstrapCase):
    """The keyring from $PWSVC_KEYRING, as a Lambda function receives it."""

    env = {"PWSVC_CONFIG_TOML": FAST_CONFIG, "PWSVC_KEYRING": f"active k2\n{KEY_ONE}\n{KEY_TWO}\n"}

    def test_sealed_hash_round_trip(self):
        hashed = self.emulator.invoke({"action": "hash", "password": SENTINEL})
        self.assertEqual(hashed.kind, "response", hashed.body)
        stored = hashed.json()["hash"]
        self.assertTrue(stored.startswith("$pwsvc-sealed$v=1,key=k2$"), stored)

        match = self.emulator.invoke({"action": "verify", "password": SENTINEL, "hash": stored})
        self.assertEqual(match.kind, "response", match.body)
        self.assertTrue(match.json()["match"])
        self.assertFalse(match.json()["needs_rehash"])
        self.assertNotIn(base64.b64encode(b"\x02" * 32).decode(), self.bootstrap.log_text())

    def test_missing_key_is_an_error(self):
        sealed_elsewhere = "$pwsvc-sealed$v=1,key=k9$" + "A" * 160
        result = self.emulator.invoke(
            {"action": "verify", "password": SENTINEL, "hash": sealed_elsewhere})
        self.assertEqual(result.kind, "error", result.body)
        self.assertIn("'k9'", result.json()["errorMessage"])


class Argon2MemoryCase(BootstrapCase):
    """Reads how each invocation's Argon2 derivation got its memory."""

    linked = os.environ.get("PWSVC_ARGON2_MEMORY_CACHE_LINKED") == "1"

    def invoke_logged(self, event):
        """Invokes `event` and returns its result and its request log line."""
        request_id = self.emulator.enqueue(event)
        result = self.emulator.wait_for(request_id)
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            for line in self.bootstrap.log_lines():
                if line["event"] == "request" and line.get("aws_request_id") == request_id:
                    return result, line
            time.sleep(0.02)
        raise AssertionError(f"no request log line for {request_id}")


class Argon2MemoryTest(Argon2MemoryCase):
    """A warm bootstrap reuses its worker's Argon2 memory, as pwsvcd does."""

    # One worker, so that every derivation runs on the thread that kept the memory.
    env = {"PWSVC_CONFIG_TOML": FAST_CONFIG.replace("m = 64\n", "m = 1024\n") +
           "\n[daemon]\nworkers = 1\n"}

    def test_second_derivation_reuses_memory(self):
        first, first_line = self.invoke_logged({"action": "hash", "password": SENTINEL})
        self.assertEqual(first.kind, "response", first.body)
        second, second_line = self.invoke_logged(
            {"action": "verify", "password": SENTINEL, "hash": first.json()["hash"]})
        self.assertTrue(second.json()["match"])

        started = self.bootstrap.log_lines()[0]
        if self.linked:
            self.assertEqual(started["argon2_memory_cache"], 64 << 20)
            self.assertEqual(first_line["argon2_memory"], "mapped")
            self.assertEqual(second_line["argon2_memory"], "reused")
        else:
            self.assertEqual(started["argon2_memory_cache"], 0)
            self.assertNotIn("argon2_memory", first_line)
            self.assertNotIn("argon2_memory", second_line)

    def test_cheap_route_reports_no_memory(self):
        result, line = self.invoke_logged({"action": "identify", "hash": "$1$abc$def"})
        self.assertEqual(result.kind, "response", result.body)
        self.assertNotIn("argon2_memory", line)


class Argon2MemoryAboveCapTest(Argon2MemoryCase):
    """A derivation above a worker's share of the budget is not kept."""

    # Two workers share 1.5 MiB, so each may keep 0.75 MiB, less than one 1 MiB derivation.
    env = {"PWSVC_CONFIG_TOML": FAST_CONFIG.replace("m = 64\n", "m = 1024\n") +
           "\n[daemon]\nworkers = 2\nmemory_budget = 1572864\n"}

    def test_derivation_above_the_cap_is_unkept(self):
        first, first_line = self.invoke_logged({"action": "hash", "password": SENTINEL})
        self.assertEqual(first.kind, "response", first.body)
        second, second_line = self.invoke_logged({"action": "hash", "password": SENTINEL})
        self.assertEqual(second.kind, "response", second.body)

        started = self.bootstrap.log_lines()[0]
        if not self.linked:
            self.assertEqual(started["argon2_memory_cache"], 0)
            return
        self.assertEqual(started["argon2_memory_cache"], 786432)
        self.assertEqual(first_line["argon2_memory"], "unkept")
        self.assertEqual(second_line["argon2_memory"], "unkept")


class InitFailureTest(unittest.TestCase):
    def run_failing(self, env):
        bootstrap = Bootstrap(env)
        try:
            error = bootstrap.emulator.wait_for_init_error()
            code = bootstrap.process.wait(timeout=10)
            return error, code, bootstrap
        finally:
            bootstrap.stop()

    def test_invalid_config_text(self):
        error, code, bootstrap = self.run_failing(
            {"PWSVC_CONFIG_TOML": "[policy.argon2id]\nm = \"lots\"\n"})
        self.assertEqual(code, 2)
        self.assertEqual(error.error_type, "invalid_config")
        body = error.json()
        self.assertEqual(body["errorType"], "invalid_config")
        self.assertIn("PWSVC_CONFIG_TOML:2", body["errorMessage"])
        self.assertIn("policy.argon2id.m", body["errorMessage"])
        self.assertEqual(bootstrap.emulator.next_requests, [])

    def test_missing_config_file(self):
        error, code, _ = self.run_failing({"PWSVC_CONFIG": "/nonexistent/pwsvc.toml"})
        self.assertEqual(code, 2)
        self.assertIn("/nonexistent/pwsvc.toml", error.json()["errorMessage"])


class DeadlineTest(BootstrapCase):
    env = {"PWSVC_CONFIG_TOML": SLOW_CONFIG}

    def test_short_deadline_rejected_up_front(self):
        started = time.monotonic()
        result = self.emulator.invoke(http_v2("POST", "/v1/hash", {"password": SENTINEL}),
                                      deadline_ms=150)
        self.assertLess(result.received - started, 0.15)
        response = result.json()
        self.assertEqual(response["statusCode"], 503)
        self.assertEqual(response["headers"]["retry-after"], "1")
        error = json.loads(response["body"])["error"]
        self.assertEqual(error["code"], "deadline_exceeded")
        self.assertIn("ms left", error["message"])

    def test_short_deadline_direct(self):
        stored = "$argon2id$v=19$m=262144,t=4,p=1$c29tZXNhbHRzb21lc2FsdA$" + "A" * 43
        result = self.emulator.invoke({"action": "verify", "password": "x", "hash": stored},
                                      deadline_ms=150)
        self.assertEqual(result.kind, "error")
        self.assertEqual(result.error_type, "deadline_exceeded")

    def test_cheap_work_fits_a_short_deadline(self):
        result = self.emulator.invoke({"action": "verify", "password": "x",
                                       "hash": "$1$saltsalt$qjXMvbEw8oaL.CzflDugX/"},
                                      deadline_ms=300)
        self.assertEqual(result.kind, "response", result.body)


if __name__ == "__main__":
    unittest.main()
