"""End-to-end tests of pwsvc audit: input formats, counts, listings, exit codes, memory."""

import collections
import csv
import gzip
import io
import json
import os
import re
import subprocess
import tempfile
import unittest

PWSVC = os.environ["PWSVC_BIN"]
VECTORS = os.environ["PWSVC_VECTORS_DIR"]

VERDICTS = ("ok", "weak", "legacy", "over-limit", "locked", "invalid", "unknown", "old-key",
            "unpeppered")
# Interop schemes that the default policy deprecates, by the vectors' scheme field.
LEGACY_SCHEMES = {"apr1", "md5crypt", "ldap-sha1", "ldap-ssha", "pbkdf2-sha1-passlib",
                  "django-pbkdf2-sha1"}
PLACEHOLDERS = ["!", "*", "!!", "*LK*", "!$6$rounds=5000$abc$def"]
GARBAGE = ["garbage", "hunter2", "$9$what$ever", "{MD5}abc"]


def run(*args, stdin=b"", timeout=60):
    env = dict(os.environ)
    env.pop("PWSVC_CONFIG", None)
    env.pop("PWSVC_REMOTE", None)
    return subprocess.run([PWSVC, *args], input=stdin, capture_output=True, env=env,
                          timeout=timeout)


def read_jsonl(name):
    with open(os.path.join(VECTORS, name), encoding="utf-8") as lines:
        return [json.loads(line) for line in lines if line.strip()]


def identify_verdict(stored):
    """The verdict of one hash through `pwsvc identify`, the engine's full path."""
    result = run("identify", "--json", "--", stored)
    return json.loads(result.stdout)["verdict"]


class Vectors:
    """Every vector hash with its verdict from identify, computed once."""

    interop = [row["hash"] for row in read_jsonl("interop.jsonl")]
    hostile = [row["hash"] for row in read_jsonl("hostile.jsonl")]
    schemes = [row["scheme"] for row in read_jsonl("interop.jsonl")]
    verdicts = {}

    @classmethod
    def verdict(cls, stored):
        if stored not in cls.verdicts:
            cls.verdicts[stored] = identify_verdict(stored)
        return cls.verdicts[stored]

    @classmethod
    def line_safe(cls):
        """Hashes a line-based dump can hold: no line break, no trailing CR, not empty."""
        every = cls.interop + cls.hostile + PLACEHOLDERS + GARBAGE
        return [h for h in every if h and "\n" not in h and not h.endswith("\r")]

    @classmethod
    def expected(cls, hashes):
        counts = collections.Counter(cls.verdict(h) for h in hashes)
        return {verdict: counts.get(verdict, 0) for verdict in VERDICTS}


class TempDir:
    def __init__(self):
        self.dir = tempfile.TemporaryDirectory()

    def write(self, name, data):
        path = os.path.join(self.dir.name, name)
        with open(path, "wb") as out:
            out.write(data if isinstance(data, bytes) else data.encode())
        return path


def summary(*args, stdin=b""):
    result = run("audit", "--format", "json", *args, stdin=stdin)
    if result.returncode != 0:
        raise AssertionError(f"exit {result.returncode}: {result.stderr.decode()}")
    return json.loads(result.stdout)


class ExpectedCountsTest(unittest.TestCase):
    def test_identify_verdicts_match_known_cases(self):
        # Checks the identify oracle itself against facts from the vector files.
        legacy = sum(1 for s in Vectors.schemes if s in LEGACY_SCHEMES)
        interop = Vectors.expected(Vectors.interop)
        self.assertEqual(interop["legacy"], legacy)
        self.assertEqual(interop["invalid"], 0)
        self.assertEqual(interop["unknown"], 0)
        self.assertEqual(interop["locked"], 0)
        hostile = Vectors.expected(Vectors.hostile)
        self.assertEqual(hostile["ok"] + hostile["weak"] + hostile["legacy"], 0)
        self.assertEqual(sum(hostile.values()), len(Vectors.hostile))
        self.assertEqual(Vectors.expected(PLACEHOLDERS)["locked"], len(PLACEHOLDERS))


class InputModesTest(unittest.TestCase):
    def setUp(self):
        self.tmp = TempDir()
        self.addCleanup(self.tmp.dir.cleanup)
        self.hashes = Vectors.line_safe()
        self.expected = Vectors.expected(self.hashes)

    def check(self, report, blank_lines=0):
        self.assertEqual(report["by_verdict"], self.expected)
        self.assertEqual(report["total"], len(self.hashes))
        self.assertEqual(report["blank_lines"], blank_lines)

    def plain_dump(self):
        # Blank lines, a CRLF ending and a last line without a line ending.
        lines = "\n\n".join(self.hashes[:5]) + "\r\n" + "\n".join(self.hashes[5:])
        return lines.encode()

    def test_plain_lines(self):
        self.check(summary(self.tmp.write("dump.txt", self.plain_dump())), blank_lines=4)

    def test_shadow_and_htpasswd_lines(self):
        shadow = "".join(f"user{i}:{h}:19000:0:99999:7:::\n" for i, h in enumerate(self.hashes))
        htpasswd = "".join(f"user{i}:{h}\n" for i, h in enumerate(self.hashes))
        self.check(summary(self.tmp.write("shadow", shadow)))
        self.check(summary(self.tmp.write("htpasswd", htpasswd)))

    def test_werkzeug_lines_keep_their_colons(self):
        werkzeug = [h for h in Vectors.interop if h.startswith("pbkdf2:")]
        self.assertGreater(len(werkzeug), 0)
        dump = "".join(f"{h}\nname:{h}\n" for h in werkzeug)
        report = summary(self.tmp.write("werkzeug.txt", dump))
        self.assertEqual(report["total"], 2 * len(werkzeug))
        expected = Vectors.expected(werkzeug)
        self.assertEqual(report["by_verdict"], {v: 2 * n for v, n in expected.items()})

    def test_empty_shadow_field_is_invalid(self):
        report = summary(self.tmp.write("shadow", "nopass::19000:0:99999:7:::\n"))
        self.assertEqual(report["by_verdict"]["invalid"], 1)

    def test_trailing_space_is_invalid(self):
        good = next(h for h in Vectors.interop if Vectors.verdict(h) == "ok")
        dump = f"{good} \n{good}\r\n"
        report = summary(self.tmp.write("space.txt", dump))
        self.assertEqual(report["by_verdict"]["invalid"], 1)
        self.assertEqual(report["by_verdict"]["ok"], 1)

    def test_csv_with_quoting(self):
        every = [h for h in Vectors.interop + Vectors.hostile + PLACEHOLDERS + GARBAGE if h]
        out = io.StringIO()
        writer = csv.writer(out, quoting=csv.QUOTE_ALL, lineterminator="\r\n")
        writer.writerow(["id", "note, with comma", "password_hash"])
        for i, h in enumerate(every):
            writer.writerow([f"user {i}", 'says "hi"\nover two lines', h])
        path = self.tmp.write("dump.csv", out.getvalue())
        expected = Vectors.expected(every)
        by_name = summary("--csv", "--column", "password_hash", path)
        by_number = summary("--csv", "--column", "3", "--id-column", "id", path)
        self.assertEqual(by_name["by_verdict"], expected)
        self.assertEqual(by_number["by_verdict"], expected)
        self.assertEqual(by_name["total"], len(every))

    def test_csv_missing_column_exits_two(self):
        path = self.tmp.write("dump.csv", "id,hash\n1,*\n")
        result = run("audit", "--csv", "--column", "password", path)
        self.assertEqual(result.returncode, 2)
        self.assertIn(f"pwsvc: error: {path}: line 1: no column 'password'".encode(), result.stderr)
        result = run("audit", "--csv", "--column", "7", path)
        self.assertEqual(result.returncode, 2)

    def test_csv_bad_rows_are_counted_with_line(self):
        path = self.tmp.write("dump.csv", 'id,hash\n1,*\n2\n3,"$2b$"x\n4,!\n')
        result = run("audit", "--format", "json", "--csv", "--column", "hash", path)
        self.assertEqual(result.returncode, 0, result.stderr)
        report = json.loads(result.stdout)
        self.assertEqual(report["by_verdict"]["invalid"], 2)
        self.assertEqual(report["by_verdict"]["locked"], 2)
        self.assertIn(f"{path}: line 3:".encode(), result.stderr)
        self.assertIn(f"{path}: line 4:".encode(), result.stderr)

    def test_jsonl(self):
        every = Vectors.interop + Vectors.hostile + PLACEHOLDERS + GARBAGE
        lines = [json.dumps({"user": f"u{i}", "pw": h}) for i, h in enumerate(every)]
        lines += ["", "{not json", '{"user": "x"}', "[1, 2]"]
        path = self.tmp.write("dump.jsonl", "\n".join(lines) + "\n")
        result = run("audit", "--format", "json", "--jsonl", "--field", "pw",
                     "--id-field", "user", path)
        self.assertEqual(result.returncode, 0, result.stderr)
        report = json.loads(result.stdout)
        expected = Vectors.expected(every)
        expected["invalid"] += 3
        self.assertEqual(report["by_verdict"], expected)
        self.assertEqual(report["blank_lines"], 1)
        self.assertIn(f"{path}: line {len(every) + 2}:".encode(), result.stderr)

    def test_gzip(self):
        path = self.tmp.write("dump.txt.gz", gzip.compress(self.plain_dump()))
        self.check(summary(path), blank_lines=4)

    def test_corrupt_gzip_exits_two(self):
        data = bytearray(gzip.compress(self.plain_dump() * 20))
        truncated = self.tmp.write("cut.gz", bytes(data[: len(data) // 2]))
        data[len(data) // 2] ^= 0xFF
        data[len(data) // 2 + 1] ^= 0xFF
        corrupt = self.tmp.write("bad.gz", bytes(data))
        for path in (truncated, corrupt):
            result = run("audit", path)
            self.assertEqual(result.returncode, 2, path)
            self.assertRegex(result.stderr.decode(),
                             rf"^pwsvc: error: {re.escape(path)}: line \d+: ")

    def test_stdin(self):
        self.check(summary(stdin=self.plain_dump()), blank_lines=4)
        self.check(summary("-", stdin=gzip.compress(self.plain_dump())), blank_lines=4)

    def test_several_files(self):
        first = self.tmp.write("a.txt", "\n".join(self.hashes))
        second = self.tmp.write("b.txt.gz", gzip.compress("\n".join(self.hashes).encode()))
        report = summary(first, second)
        self.assertEqual(report["total"], 2 * len(self.hashes))
        self.assertEqual(report["by_verdict"], {v: 2 * n for v, n in self.expected.items()})

    def test_missing_file_exits_two(self):
        first = self.tmp.write("a.txt", "*\n")
        result = run("audit", first, "/nonexistent/dump.txt")
        self.assertEqual(result.returncode, 2)
        self.assertIn(b"pwsvc: error: /nonexistent/dump.txt: cannot open", result.stderr)
        self.assertEqual(result.stdout, b"")


class OutputTest(unittest.TestCase):
    def setUp(self):
        self.tmp = TempDir()
        self.addCleanup(self.tmp.dir.cleanup)
        self.hashes = Vectors.line_safe()
        dump = "".join(f"user{i}:{h}\n" for i, h in enumerate(self.hashes))
        self.path = self.tmp.write("htpasswd", dump)

    def test_json_by_scheme_adds_up(self):
        report = summary(self.path)
        self.assertEqual(set(report["by_verdict"]), set(VERDICTS))
        self.assertEqual(sum(s["count"] for s in report["by_scheme"].values()), report["total"])
        for name, scheme in report["by_scheme"].items():
            sets = scheme["parameter_sets"].values()
            self.assertEqual(sum(s["count"] for s in sets), scheme["count"], name)
            self.assertEqual(sum(scheme["verdicts"].values()), scheme["count"], name)
        self.assertIn("v=19,m=8192,t=2,p=1", report["by_scheme"]["argon2id"]["parameter_sets"])

    def test_csv_report(self):
        result = run("audit", "--format", "csv", self.path)
        self.assertEqual(result.returncode, 0, result.stderr)
        rows = list(csv.DictReader(io.StringIO(result.stdout.decode())))
        self.assertEqual(sum(int(r["count"]) for r in rows), len(self.hashes))
        counts = collections.Counter()
        for r in rows:
            counts[r["verdict"]] += int(r["count"])
        self.assertEqual(dict(counts), {v: n for v, n in Vectors.expected(self.hashes).items() if n})

    def test_text_report(self):
        result = run("audit", self.path)
        self.assertEqual(result.returncode, 0, result.stderr)
        text = result.stdout.decode()
        self.assertTrue(text.startswith("SCHEME"))
        self.assertIn(f"rows: {len(self.hashes)}", text)
        self.assertRegex(text, r"argon2id +v=19,m=8192,t=2,p=1 +weak")

    def test_list_prints_ids_without_hashes(self):
        result = run("audit", "--list", "weak,legacy", self.path)
        self.assertEqual(result.returncode, 0, result.stderr)
        expected = [f"user{i}" for i, h in enumerate(self.hashes)
                    if Vectors.verdict(h) in ("weak", "legacy")]
        self.assertEqual(result.stdout.decode().splitlines(), expected)
        self.assertNotIn(b"$", result.stdout)

    def test_list_show_hash(self):
        result = run("audit", "--list", "locked", "--show-hash", self.path)
        self.assertEqual(result.returncode, 0, result.stderr)
        expected = [f"user{i}\t{h}" for i, h in enumerate(self.hashes)
                    if Vectors.verdict(h) == "locked"]
        self.assertEqual(result.stdout.decode().splitlines(), expected)

    def test_list_without_ids_uses_file_and_line(self):
        path = self.tmp.write("bare.txt", "*\n\n$2b$04$bad\n")
        result = run("audit", "--list", "invalid", path)
        self.assertEqual(result.stdout.decode(), f"{path}:3\n")

    def test_show_hash_needs_list(self):
        self.assertEqual(run("audit", "--show-hash", self.path).returncode, 2)

    def test_fail_on(self):
        self.assertEqual(run("audit", "--fail-on", "invalid", self.path).returncode, 1)
        self.assertEqual(run("audit", "--fail-on", "weak,locked", self.path).returncode, 1)
        clean = self.tmp.write("clean.txt", "*\n!\n")
        self.assertEqual(run("audit", "--fail-on", "weak,invalid", clean).returncode, 0)
        self.assertEqual(run("audit", "--fail-on", "locked", clean).returncode, 1)
        bad = run("audit", "--fail-on", "broken", clean)
        self.assertEqual(bad.returncode, 2)
        self.assertIn(b"unknown verdict 'broken'", bad.stderr)

    def test_usage_errors(self):
        for args in (("--csv",), ("--jsonl",), ("--column", "x"), ("--format", "xml"),
                     ("--csv", "--column", "1", "--jsonl", "--field", "h")):
            result = run("audit", *args, self.path)
            self.assertEqual(result.returncode, 2, args)
            self.assertTrue(result.stderr.startswith(b"pwsvc: error: "), args)


class GroupLimitTest(unittest.TestCase):
    def test_group_count_is_bounded(self):
        tmp = TempDir()
        self.addCleanup(tmp.dir.cleanup)
        sha512 = next(h for h in Vectors.interop if h.startswith("$6$rounds=10000$"))
        rest = sha512[len("$6$rounds=10000"):]
        # 12000 parameter sets and 3000 garbage scheme prefixes.
        lines = [f"$6$rounds={5000 + i}{rest}" for i in range(12000)]
        lines += [f"$g{i}$x" for i in range(3000)]
        report = summary(tmp.write("many.txt", "\n".join(lines)))
        self.assertEqual(report["total"], 15000)
        groups = sum(len(s["parameter_sets"]) for s in report["by_scheme"].values())
        self.assertLessEqual(groups, 11001)
        self.assertIn("(other)", report["by_scheme"]["sha512-crypt"]["parameter_sets"])
        self.assertIn("(other)", report["by_scheme"])
        self.assertEqual(sum(s["count"] for s in report["by_scheme"].values()), 15000)


class LargeInputTest(unittest.TestCase):
    def peak_rss_kib(self, path):
        # Under AddressSanitizer (make test-asan) freed memory waits in a
        # quarantine of up to 256 MB, which would read as growth. Without
        # ASan the variable has no effect.
        options = os.environ.get("ASAN_OPTIONS", "")
        env = dict(os.environ, ASAN_OPTIONS=(options + ":" if options else "") +
                   "quarantine_size_mb=0:thread_local_quarantine_size_kb=0")
        result = subprocess.run(["/usr/bin/time", "-v", PWSVC, "audit", "--format", "json", path],
                                capture_output=True, timeout=120, env=env)
        self.assertEqual(result.returncode, 0, result.stderr[-500:])
        found = re.search(rb"Maximum resident set size \(kbytes\): (\d+)", result.stderr)
        return json.loads(result.stdout), int(found.group(1))

    def test_million_rows_in_constant_memory(self):
        tmp = TempDir()
        self.addCleanup(tmp.dir.cleanup)
        hashes = Vectors.line_safe()
        block = "".join(f"user{i}:{h}\n" for i, h in enumerate(hashes)).encode()
        repeats = 1_000_000 // len(hashes) + 1
        big = tmp.write("big.txt", block * repeats)
        small = tmp.write("small.txt", block * (repeats // 10))

        report, big_rss = self.peak_rss_kib(big)
        _, small_rss = self.peak_rss_kib(small)
        self.assertEqual(report["total"], len(hashes) * repeats)
        self.assertGreaterEqual(report["total"], 1_000_000)
        self.assertEqual(report["by_verdict"]["locked"],
                         Vectors.expected(hashes)["locked"] * repeats)
        # Ten times the rows may not cost more than a few MiB more memory.
        self.assertLess(big_rss - small_rss, 4096)
        self.assertLess(big_rss, 64 * 1024)


if __name__ == "__main__":
    unittest.main()
