"""pwsvcd under systemd's protocols: readiness notification, socket activation, sandbox-like limits."""

import json
import os
import shutil
import socket
import subprocess
import tempfile
import time
import unittest

from daemon_test import BASE_CONFIG, PWSVCD, UnixConnection

UNIT_DIR = os.path.join(os.path.dirname(__file__), "..", "..", "packaging", "systemd")


def write_config(directory):
    path = os.path.join(directory, "pwsvc.toml")
    with open(path, "w", encoding="utf-8") as file:
        file.write(BASE_CONFIG)
    return path


def hash_over(path):
    connection = UnixConnection(path)
    connection.request("POST", "/v1/hash", body=json.dumps({"password": "plum-kettle-47"}),
                       headers={"Content-Type": "application/json"})
    response = connection.getresponse()
    body = response.read()
    connection.close()
    return response.status, body


def wait_for_socket(path, process):
    deadline = time.monotonic() + 10
    while not os.path.exists(path):
        if process.poll() is not None or time.monotonic() > deadline:
            raise AssertionError("pwsvcd did not create its socket")
        time.sleep(0.02)


class SystemdTest(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="pwsvcd-systemd-")
        os.chmod(self.dir, 0o755)
        self.config = write_config(self.dir)

    def tearDown(self):
        shutil.rmtree(self.dir, ignore_errors=True)

    def test_ready_notification_reaches_notify_socket(self):
        notify_path = os.path.join(self.dir, "notify")
        notify = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        notify.bind(notify_path)
        notify.settimeout(10)
        socket_path = os.path.join(self.dir, "pwsvcd.sock")
        env = dict(os.environ, NOTIFY_SOCKET=notify_path)
        process = subprocess.Popen([PWSVCD, "--config", self.config, "--listen",
                                    f"unix:{socket_path}"], env=env,
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            self.assertIn(b"READY=1", notify.recv(4096))
            self.assertEqual(hash_over(socket_path)[0], 200)
            process.terminate()
            self.assertIn(b"STOPPING=1", notify.recv(4096))
            self.assertEqual(process.wait(timeout=30), 0)
        finally:
            if process.poll() is None:
                process.kill()
            notify.close()

    @unittest.skipUnless(shutil.which("systemd-socket-activate"), "systemd-socket-activate missing")
    def test_socket_activation_uses_the_passed_socket(self):
        socket_path = os.path.join(self.dir, "activated.sock")
        process = subprocess.Popen(["systemd-socket-activate", "-l", socket_path,
                                    PWSVCD, "--config", self.config],
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            wait_for_socket(socket_path, process)
            status, body = hash_over(socket_path)
            self.assertEqual(status, 200, body)
        finally:
            process.terminate()
            process.wait(timeout=30)

    @unittest.skipUnless(os.geteuid() == 0 and shutil.which("setpriv"), "needs root and setpriv")
    def test_runs_unprivileged_with_no_new_privileges(self):
        socket_path = os.path.join(self.dir, "nobody.sock")
        os.chmod(self.config, 0o644)
        config = self.config.replace(".toml", "-nobody.toml")
        with open(self.config, encoding="utf-8") as source, open(config, "w") as target:
            target.write(source.read() + "\n[daemon]\nallowed_uids = [0]\n")
        os.chmod(config, 0o644)
        os.chmod(self.dir, 0o777)
        process = subprocess.Popen(
            ["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups",
             "--no-new-privs", "--inh-caps=-all", "--bounding-set=-all",
             PWSVCD, "--config", config, "--listen", f"unix:{socket_path}"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            wait_for_socket(socket_path, process)
            status, body = hash_over(socket_path)
            self.assertEqual(status, 200, body)
        finally:
            process.terminate()
            self.assertEqual(process.wait(timeout=30), 0)

    @unittest.skipUnless(shutil.which("systemd-analyze"), "systemd-analyze missing")
    def test_units_parse(self):
        for unit in ("pwsvcd.service", "pwsvcd.socket"):
            result = subprocess.run(["systemd-analyze", "verify", os.path.join(UNIT_DIR, unit)],
                                    capture_output=True, text=True)
            problems = [line for line in result.stderr.splitlines()
                        if "is not executable" not in line and "man " not in line]
            self.assertEqual(problems, [], unit)


if __name__ == "__main__":
    unittest.main()
