"""End-to-end tests of pepper keys through the built pwsvc: keys generate, list,
activate and rewrap, and hash, verify, identify and audit under a keyring."""

import json
import os
import signal
import stat
import subprocess
import tempfile
import time
import unittest

PWSVC = os.environ.get("PWSVC_BIN", "pwsvc")
PASSWORD = b"correct horse battery staple"
# A cheap policy keeps each hash at a few milliseconds.
POLICY = '[policy.argon2id]\nm = 64\nt = 1\np = 1\n'


def run(*args, stdin=b"", timeout=60, env_extra=None):
    env = {k: v for k, v in os.environ.items()
           if k not in ("PWSVC_CONFIG", "PWSVC_REMOTE", "PWSVC_KEYRING", "CREDENTIALS_DIRECTORY")}
    env.update(env_extra or {})
    return subprocess.run([PWSVC, *args], input=stdin, capture_output=True, env=env,
                          timeout=timeout)


class KeyringDir:
    """A temporary directory with a keyring and a config that names it."""

    def __init__(self, mode="encrypt", required=False):
        self.dir = tempfile.TemporaryDirectory()
        self.keyring = self.path("keyring")
        self.config = self.path("pwsvc.toml")
        self.write_config(mode, required)

    def path(self, name):
        return os.path.join(self.dir.name, name)

    def write_config(self, mode, required):
        with open(self.config, "w") as out:
            out.write(POLICY + f'[pepper]\nkeyring = "{self.keyring}"\nmode = "{mode}"\n'
                      f"required = {'true' if required else 'false'}\n")

    def keys(self, *args):
        return run("keys", *args)

    def pwsvc(self, *args, stdin=PASSWORD):
        return run("--config", self.config, *args, stdin=stdin)

    def hash(self):
        result = self.pwsvc("hash")
        assert result.returncode == 0, result.stderr
        return result.stdout.decode().strip()

    def identify(self, stored):
        return json.loads(self.pwsvc("identify", "--json", "--", stored, stdin=b"").stdout)


class PepperTestCase(unittest.TestCase):
    def make_ring(self, mode="encrypt", required=False):
        ring = KeyringDir(mode, required)
        self.addCleanup(ring.dir.cleanup)
        return ring


class KeyManagementTest(PepperTestCase):
    def setUp(self):
        self.ring = self.make_ring()

    def test_generate_writes_a_private_file(self):
        result = self.ring.keys("generate", "--id", "k1", "--out", self.ring.keyring)
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertEqual(stat.S_IMODE(os.stat(self.ring.keyring).st_mode), 0o600)
        listed = json.loads(self.ring.keys("list", "--keyring", self.ring.keyring, "--json").stdout)
        self.assertEqual([(k["id"], k["active"]) for k in listed], [("k1", True)])

    def test_list_and_activate_never_print_key_bytes(self):
        self.ring.keys("generate", "--id", "k1", "--out", self.ring.keyring)
        self.ring.keys("generate", "--id", "k2", "--out", self.ring.keyring)
        with open(self.ring.keyring) as text:
            encoded = [line.split()[3] for line in text if line.startswith("key ")]

        activated = run("--config", self.ring.config, "keys", "activate", "k2")
        listed = run("--config", self.ring.config, "keys", "list")

        self.assertEqual(activated.returncode, 0, activated.stderr)
        self.assertRegex(listed.stdout.decode(), r"k2\t\S+\tactive")
        for output in (activated.stdout, activated.stderr, listed.stdout, listed.stderr):
            for key in encoded:
                self.assertNotIn(key.encode(), output)

    def test_duplicate_and_bad_ids_are_rejected(self):
        self.ring.keys("generate", "--id", "k1", "--out", self.ring.keyring)
        duplicate = self.ring.keys("generate", "--id", "k1", "--out", self.ring.keyring)
        bad = self.ring.keys("generate", "--id", "far-too-long", "--out", self.ring.keyring)
        missing = self.ring.keys("activate", "k7", "--keyring", self.ring.keyring)
        self.assertEqual(duplicate.returncode, 2)
        self.assertIn(b"already in", duplicate.stderr)
        self.assertEqual(bad.returncode, 2)
        self.assertIn(b"1 to 8 characters", bad.stderr)
        self.assertEqual(missing.returncode, 2)
        self.assertIn(b"'k7' is not in", missing.stderr)

    def test_readable_keyring_is_refused(self):
        self.ring.keys("generate", "--id", "k1", "--out", self.ring.keyring)
        os.chmod(self.ring.keyring, 0o640)
        for result in (self.ring.keys("list", "--keyring", self.ring.keyring),
                       self.ring.pwsvc("hash")):
            self.assertEqual(result.returncode, 2)
            self.assertIn(b"mode 0640", result.stderr)
            self.assertIn(b"chmod 600", result.stderr)


    def test_keyring_link_changes_its_target(self):
        os.mkdir(self.ring.path("real"))
        target = self.ring.path("real/keyring")
        self.ring.keys("generate", "--id", "k1", "--out", target)
        os.symlink("real/keyring", self.ring.keyring)

        generated = self.ring.keys("generate", "--id", "k2", "--out", self.ring.keyring, "--activate")
        self.assertEqual(generated.returncode, 0, generated.stderr)
        self.assertTrue(os.path.islink(self.ring.keyring))
        listed = json.loads(self.ring.keys("list", "--keyring", target, "--json").stdout)
        self.assertEqual([(k["id"], k["active"]) for k in listed], [("k1", False), ("k2", True)])

        activated = self.ring.keys("activate", "k1", "--keyring", self.ring.keyring)
        self.assertEqual(activated.returncode, 0, activated.stderr)
        self.assertIn(b"which " + self.ring.keyring.encode() + b" points to", activated.stderr)
        self.assertTrue(os.path.islink(self.ring.keyring))
        listed = json.loads(self.ring.keys("list", "--keyring", target, "--json").stdout)
        self.assertEqual([k["id"] for k in listed if k["active"]], ["k1"])


class CreationTimeTest(PepperTestCase):
    def test_unreal_creation_times_are_rejected(self):
        ring = self.make_ring()
        ring.keys("generate", "--id", "k1", "--out", ring.keyring)
        with open(ring.keyring) as text:
            original = text.read()
        created = [line.split()[2] for line in original.splitlines() if line.startswith("key ")][0]

        for bad, reason in (("2026-13-04T22:38:34Z", b"no month 13"),
                            ("2026-02-31T22:38:34Z", b"2026-02 has no day 31"),
                            ("2026-12-04T25:38:34Z", b"hour runs from 00 to 23")):
            with self.subTest(bad=bad):
                with open(ring.keyring, "w") as out:
                    out.write(original.replace(created, bad))
                result = ring.keys("list", "--keyring", ring.keyring)
                self.assertEqual(result.returncode, 2, result.stderr)
                self.assertIn(f"key 'k1' has creation time {bad}".encode(), result.stderr)
                self.assertIn(reason, result.stderr)
                self.assertIn(b"correct it", result.stderr)
                self.assertEqual(result.stdout, b"")


class ConcurrentKeysTest(PepperTestCase):
    """Writers started at once must each see the other's change."""

    ROUNDS = 4

    def start_all(self, *commands):
        processes = [subprocess.Popen([PWSVC, "keys", *command], stdout=subprocess.DEVNULL,
                                      stderr=subprocess.PIPE) for command in commands]
        for process in processes:
            _, stderr = process.communicate(timeout=30)
            self.assertEqual(process.returncode, 0, stderr)

    def listed(self, keyring):
        result = run("keys", "list", "--keyring", keyring, "--json")
        self.assertEqual(result.returncode, 0, result.stderr)
        return {key["id"]: key["active"] for key in json.loads(result.stdout)}

    def test_concurrent_generates_keep_every_key(self):
        ring = self.make_ring()
        for round_number in range(self.ROUNDS):
            keyring = ring.path(f"keyring{round_number}")
            ids = [f"r{round_number}k{i}" for i in range(4)]
            self.start_all(*[("generate", "--id", key_id, "--out", keyring) for key_id in ids])
            self.assertEqual(sorted(self.listed(keyring)), ids)

    def test_generate_and_activate_at_once(self):
        ring = self.make_ring()
        for round_number in range(self.ROUNDS):
            keyring = ring.path(f"keyring{round_number}")
            ring.keys("generate", "--id", "old", "--out", keyring)
            ring.keys("generate", "--id", "next", "--out", keyring)
            self.start_all(("activate", "next", "--keyring", keyring),
                           ("generate", "--id", "extra1", "--out", keyring),
                           ("generate", "--id", "extra2", "--out", keyring))
            self.assertEqual(self.listed(keyring),
                             {"old": False, "next": True, "extra1": False, "extra2": False})
        self.assertEqual([name for name in os.listdir(ring.dir.name) if name.startswith(".")], [])


class HostileKeyringTest(PepperTestCase):
    def setUp(self):
        self.ring = self.make_ring()
        self.ring.keys("generate", "--id", "k1", "--out", self.ring.keyring)
        with open(self.ring.keyring) as text:
            self.key_line = [line for line in text if line.startswith("key ")][0].split()

    def test_swapped_fields_never_echo_key_bytes(self):
        with open(self.ring.keyring, "w") as out:
            out.write(f"active k1\nkey {self.key_line[3]} {self.key_line[2]} k1\n")
        result = self.ring.keys("list", "--keyring", self.ring.keyring)
        self.assertEqual(result.returncode, 2)
        self.assertIn(b"keyring line 2", result.stderr)
        self.assertNotIn(self.key_line[3][:8].encode(), result.stderr)

    def test_fifo_keyring_is_refused_at_once(self):
        fifo = self.ring.path("fifo")
        os.mkfifo(fifo, 0o600)
        result = run("keys", "list", "--keyring", fifo, timeout=10)
        self.assertEqual(result.returncode, 2)
        self.assertIn(b"not a regular file", result.stderr)

    def test_looping_credentials_directory_is_an_error(self):
        loop = self.ring.path("loop")
        os.symlink(loop, loop)
        result = run("identify", "$2b$04$abcdefghijklmnopqrstuu5/9cXj6yF1Bke0ZmD/lcIKeCGOZJBSe",
                     env_extra={"CREDENTIALS_DIRECTORY": loop})
        self.assertEqual(result.returncode, 2, result.stderr)
        self.assertIn(b"pwsvc-keyring", result.stderr)


class PepperModesTest(PepperTestCase):
    def check_round_trip(self, mode, marker):
        ring = self.make_ring(mode)
        ring.keys("generate", "--id", "k1", "--out", ring.keyring)
        stored = ring.hash()
        self.assertIn(marker, stored)

        right = ring.pwsvc("verify", stored)
        wrong = ring.pwsvc("verify", stored, stdin=b"wrong")
        self.assertEqual(right.returncode, 0, right.stderr)
        self.assertEqual(wrong.returncode, 1)

        # After rotation the old hash still verifies and needs a rehash.
        ring.keys("generate", "--id", "k2", "--out", ring.keyring, "--activate")
        self.assertEqual(ring.identify(stored)["verdict"], "old-key")
        rehash = ring.pwsvc("verify", "--check-rehash", stored)
        self.assertEqual(rehash.returncode, 3, rehash.stderr)
        self.assertEqual(ring.identify(ring.hash())["verdict"], "ok")
        return ring, stored

    def test_encrypt_mode(self):
        self.check_round_trip("encrypt", "$pwsvc-sealed$v=1,key=k1$")

    def test_hmac_mode(self):
        self.check_round_trip("hmac", ",keyid=azE$")

    def test_missing_key_is_an_error_naming_it(self):
        ring, stored = self.check_round_trip("encrypt", "$pwsvc-sealed$")
        other = self.make_ring()
        other.keys("generate", "--id", "k3", "--out", other.keyring)
        result = other.pwsvc("verify", stored)
        self.assertEqual(result.returncode, 4)
        self.assertIn(b"'k1'", result.stderr)

    def test_required_pepper_flags_plain_hashes(self):
        plain = run("hash", stdin=PASSWORD).stdout.decode().strip()
        ring = self.make_ring(required=True)
        ring.keys("generate", "--id", "k1", "--out", ring.keyring)
        self.assertEqual(ring.identify(plain)["verdict"], "unpeppered")

    def test_keyring_from_the_environment(self):
        ring = self.make_ring()
        ring.keys("generate", "--id", "k1", "--out", ring.keyring)
        with open(ring.keyring) as text:
            keyring_text = text.read()
        stored = ring.hash()
        result = run("verify", stored, stdin=PASSWORD, env_extra={"PWSVC_KEYRING": keyring_text})
        self.assertEqual(result.returncode, 0, result.stderr)


class RewrapTest(PepperTestCase):
    ROWS = 100000

    def setUp(self):
        self.ring = self.make_ring()
        self.ring.keys("generate", "--id", "k1", "--out", self.ring.keyring)
        # Hashing is slow, so the dump repeats a few sealed hashes.
        self.sealed = [self.ring.hash() for _ in range(3)]
        self.ring.keys("generate", "--id", "k2", "--out", self.ring.keyring, "--activate")

    def write_dump(self, name, rows):
        path = self.ring.path(name)
        with open(path, "wb") as out:
            for i in range(rows):
                if i % 1000 == 7:
                    out.write(f"bad{i}:$pwsvc-sealed$v=1,key=k1$AAAAAAAA:x\n".encode())
                elif i % 1000 == 8:
                    out.write(f"gone{i}:$pwsvc-sealed$v=1,key=k9$AAAAAAAA\r\n".encode())
                elif i % 1000 == 9:
                    out.write(f"plain{i}:$2b$10$abcdefghijklmnopqrstuv\n".encode())
                else:
                    out.write(f"user{i}:{self.sealed[i % 3]}:19000:0:99999:7:::\n".encode())
            out.write(b"last,no-newline")
        return path

    def test_rewrap_reseals_and_keeps_bad_rows(self):
        path = self.write_dump("dump.txt", self.ROWS)
        with open(path, "rb") as before_file:
            before = before_file.read().split(b"\n")

        result = self.ring.keys("rewrap", "--keyring", self.ring.keyring, path)

        self.assertEqual(result.returncode, 2, result.stderr[-500:])
        with open(path, "rb") as after_file:
            after = after_file.read().split(b"\n")
        self.assertEqual(len(after), len(before))
        bad_rows = self.ROWS // 1000 * 2
        self.assertIn(f"{self.ROWS + 1} lines, {self.ROWS - bad_rows - self.ROWS // 1000} "
                      f"resealed under key 'k2', 0 already under it, {bad_rows} left unchanged"
                      .encode(), result.stderr)
        self.assertIn(f"dump.txt:8: left unchanged".encode(), result.stderr)
        self.assertIn(f"dump.txt:9: left unchanged".encode(), result.stderr)
        for old, new in zip(before, after):
            if old.startswith(b"user"):
                self.assertTrue(new.startswith(old.split(b"$pwsvc")[0] + b"$pwsvc-sealed$v=1,key=k2$"))
                self.assertTrue(new.endswith(b":19000:0:99999:7:::"))
            else:
                self.assertEqual(old, new)

        # The resealed hashes still verify and are no longer old-key.
        resealed = after[0].decode().split(":")[1]
        self.assertEqual(self.ring.pwsvc("verify", resealed).returncode, 0)
        self.assertEqual(self.ring.identify(resealed)["verdict"], "ok")

    def test_rewrap_opens_seals_under_the_active_key(self):
        current = [self.ring.hash() for _ in range(2)]
        payload_end = len(current[1]) - 20
        flipped = "B" if current[1][payload_end] == "A" else "A"
        altered = current[1][:payload_end] + flipped + current[1][payload_end + 1:]
        path = self.ring.path("current.txt")
        rows = f"alice:{current[0]}:1\nbob:{altered}:2\ncarol:{self.sealed[0]}:3\n".encode()
        with open(path, "wb") as out:
            out.write(rows)

        result = self.ring.keys("rewrap", "--keyring", self.ring.keyring, path)

        self.assertEqual(result.returncode, 2, result.stderr)
        self.assertIn(b"current.txt:2: left unchanged: sealed hash: it fails authentication "
                      b"under key 'k2'", result.stderr)
        self.assertIn(b"3 lines, 1 resealed under key 'k2', 1 already under it, 1 left unchanged",
                      result.stderr)
        with open(path, "rb") as after_file:
            after = after_file.read().split(b"\n")
        self.assertEqual(after[0], f"alice:{current[0]}:1".encode())
        self.assertEqual(after[1], f"bob:{altered}:2".encode())
        self.assertTrue(after[2].startswith(b"carol:$pwsvc-sealed$v=1,key=k2$"))

    def test_interrupted_rewrap_leaves_the_original(self):
        path = self.write_dump("big.txt", 400000)
        with open(path, "rb") as before_file:
            before = before_file.read()

        process = subprocess.Popen([PWSVC, "keys", "rewrap", "--keyring", self.ring.keyring, path],
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        temporary = self.ring.path(f".big.txt.pwsvc-rewrap-{process.pid}")
        deadline = time.monotonic() + 10
        while not os.path.exists(temporary) and time.monotonic() < deadline:
            time.sleep(0.001)
        process.send_signal(signal.SIGKILL)
        process.wait()

        with open(path, "rb") as after_file:
            self.assertEqual(after_file.read(), before)

    def test_rewrap_keeps_owner_and_refuses_links(self):
        path = self.write_dump("owned.txt", 20)
        os.chown(path, 65534, 65534)
        os.chmod(path, 0o640)
        link = self.ring.path("link.txt")
        os.symlink(path, link)

        linked = self.ring.keys("rewrap", "--keyring", self.ring.keyring, link)
        result = self.ring.keys("rewrap", "--keyring", self.ring.keyring, path)

        self.assertEqual(linked.returncode, 4)
        self.assertIn(b"is a symbolic link", linked.stderr)
        self.assertEqual(result.returncode, 2, result.stderr)
        info = os.stat(path)
        self.assertEqual((info.st_uid, info.st_gid, stat.S_IMODE(info.st_mode)),
                         (65534, 65534, 0o640))

    def test_truncated_gzip_is_left_unchanged(self):
        plain = self.write_dump("cut.txt", 2000)
        subprocess.run(["gzip", "-f", plain], check=True)
        with open(plain + ".gz", "rb") as whole:
            data = whole.read()
        with open(plain + ".gz", "wb") as cut:
            cut.write(data[:-12])

        result = self.ring.keys("rewrap", "--keyring", self.ring.keyring, plain + ".gz")

        self.assertEqual(result.returncode, 4)
        self.assertIn(b"left unchanged", result.stderr)
        with open(plain + ".gz", "rb") as after:
            self.assertEqual(after.read(), data[:-12])

    def test_failed_rewrap_removes_its_copy(self):
        path = self.write_dump("long.txt", 10)
        with open(path, "ab") as out:
            out.write(b"x" * (17 << 20))
        with open(path, "rb") as before_file:
            before = before_file.read()

        result = self.ring.keys("rewrap", "--keyring", self.ring.keyring, path)

        self.assertEqual(result.returncode, 4)
        self.assertIn(b"longer than 16 MiB", result.stderr)
        with open(path, "rb") as after_file:
            self.assertEqual(after_file.read(), before)
        self.assertEqual(sorted(os.listdir(self.ring.dir.name)),
                         ["keyring", "long.txt", "pwsvc.toml"])


if __name__ == "__main__":
    unittest.main()
