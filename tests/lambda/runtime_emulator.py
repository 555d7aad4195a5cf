"""A Lambda Runtime API emulator (version 2018-06-01) for driving the real bootstrap.

It serves the documented endpoints on 127.0.0.1 at a free port: GET
/runtime/invocation/next hands out queued events with the invocation headers,
and POST .../response, .../error and /runtime/init/error are recorded.
"""

import http.server
import json
import queue
import sys
import threading
import time
import uuid

API = "/2018-06-01/runtime"


class Result:
    """What the runtime sent back for one invocation, or for its start-up."""

    def __init__(self, kind, body, error_type):
        self.kind = kind  # "response", "error" or "init_error"
        self.body = body
        self.error_type = error_type
        self.received = time.monotonic()

    def json(self):
        return json.loads(self.body)


class _Server(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):
        # A runtime that a test killed resets its connection; that is no fault.
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


class RuntimeEmulator:
    def __init__(self):
        self.events = queue.Queue()
        self.results = {}
        self.init_errors = []
        self.next_requests = []  # time.monotonic() of every GET .../next
        self.changed = threading.Condition()
        self.server = _Server(("127.0.0.1", 0), self._handler_class())
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def endpoint(self):
        host, port = self.server.server_address
        return f"{host}:{port}"

    def close(self):
        self.server.shutdown()
        self.server.server_close()

    def enqueue(self, event, deadline_ms=30000):
        """Queues `event` (an object, or bytes sent as they are) and returns its request id."""
        request_id = str(uuid.uuid4())
        body = event if isinstance(event, bytes) else json.dumps(event).encode()
        deadline = int(time.time() * 1000) + deadline_ms
        self.events.put((request_id, body, deadline))
        return request_id

    def wait_for(self, request_id, timeout=10):
        with self.changed:
            if not self.changed.wait_for(lambda: request_id in self.results, timeout):
                raise TimeoutError(f"no result for invocation {request_id} within {timeout} s")
            return self.results[request_id]

    def invoke(self, event, deadline_ms=30000, timeout=10):
        return self.wait_for(self.enqueue(event, deadline_ms), timeout)

    def wait_for_init_error(self, timeout=10):
        with self.changed:
            if not self.changed.wait_for(lambda: self.init_errors, timeout):
                raise TimeoutError(f"no init error within {timeout} s")
            return self.init_errors[0]

    def wait_for_next(self, count=1, timeout=10):
        """Waits until the runtime has asked for `count` events; returns their times."""
        with self.changed:
            if not self.changed.wait_for(lambda: len(self.next_requests) >= count, timeout):
                raise TimeoutError(f"fewer than {count} next requests within {timeout} s")
            return list(self.next_requests)

    def _record(self, action):
        with self.changed:
            action()
            self.changed.notify_all()

    def _handler_class(self):
        emulator = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            # The header and the body go out in separate writes; with Nagle's
            # algorithm the body would wait for the runtime's delayed ACK.
            disable_nagle_algorithm = True

            def log_message(self, *args):
                pass

            def _send(self, status, body=b"", headers=()):
                self.send_response(status)
                for name, value in headers:
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                try:
                    self.wfile.write(body)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the runtime exited; a test stopped it

            def _accepted(self):
                self._send(202, b'{"status":"OK"}', [("Content-Type", "application/json")])

            def do_GET(self):
                if self.path != f"{API}/invocation/next":
                    return self._send(404)
                emulator._record(lambda: emulator.next_requests.append(time.monotonic()))
                request_id, body, deadline = emulator.events.get()
                self._send(200, body, [
                    ("Content-Type", "application/json"),
                    ("Lambda-Runtime-Aws-Request-Id", request_id),
                    ("Lambda-Runtime-Deadline-Ms", str(deadline)),
                    ("Lambda-Runtime-Invoked-Function-Arn",
                     "arn:aws:lambda:us-east-1:123456789012:function:pwsvc"),
                    ("Lambda-Runtime-Trace-Id", f"Root=1-{request_id[:8]};Sampled=0"),
                ])

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                error_type = self.headers.get("Lambda-Runtime-Function-Error-Type", "")
                parts = self.path[len(API):].strip("/").split("/")
                if parts == ["init", "error"]:
                    result = Result("init_error", body, error_type)
                    emulator._record(lambda: emulator.init_errors.append(result))
                    return self._accepted()
                if len(parts) == 3 and parts[0] == "invocation" and parts[2] in ("response", "error"):
                    result = Result(parts[2], body, error_type)
                    emulator._record(lambda: emulator.results.setdefault(parts[1], result))
                    return self._accepted()
                self._send(404)

        return Handler
