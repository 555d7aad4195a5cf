"""End-to-end tests of pwsvc bench and pwsvc tune on the built binary."""

import json
import os
import subprocess
import tempfile
import unittest
import xml.etree.ElementTree as ElementTree

PWSVC = os.environ["PWSVC_BIN"]

# A cheap policy so that bench runs take milliseconds per hash.
CHEAP_CONFIG = """
[policy.argon2id]
m = 64
t = 1
p = 1
"""

SVG_NAMESPACE = "{http://www.w3.org/2000/svg}"


def run(*args, timeout=120):
    env = dict(os.environ)
    env.pop("PWSVC_CONFIG", None)
    env.pop("PWSVC_REMOTE", None)
    return subprocess.run(
        [PWSVC, *args], capture_output=True, text=True, env=env, timeout=timeout
    )


class TempDir:
    def __enter__(self):
        self.handle = tempfile.TemporaryDirectory()
        return self.handle.name

    def __exit__(self, *unused):
        self.handle.cleanup()


def config_check(directory, text):
    path = os.path.join(directory, "checked.toml")
    with open(path, "w", encoding="utf-8") as out:
        out.write(text)
    return run("config", "check", path)


class BenchTest(unittest.TestCase):
    def bench_json(self, *extra):
        with TempDir() as directory:
            config = os.path.join(directory, "cheap.toml")
            with open(config, "w", encoding="utf-8") as out:
                out.write(CHEAP_CONFIG)
            done = run("--config", config, "bench", "--duration", "0.3", "--json", *extra)
        self.assertEqual(done.returncode, 0, done.stderr)
        return json.loads(done.stdout)

    def test_json_fields(self):
        report = self.bench_json("--concurrency", "2")
        self.assertEqual(report["mode"], "local")
        self.assertEqual(report["scheme"], "argon2id")
        self.assertEqual(report["parameters"]["m"], 64)
        self.assertEqual(report["concurrency"], 2)
        self.assertGreater(report["duration_s"], 0.2)
        for operation in ("hash", "verify"):
            stats = report[operation]
            self.assertGreater(stats["count"], 0)
            self.assertLessEqual(stats["min_ms"], stats["median_ms"])
            self.assertLessEqual(stats["median_ms"], stats["p95_ms"])
            self.assertLessEqual(stats["p95_ms"], stats["max_ms"])
        self.assertGreater(report["throughput"]["hashes_per_second"], 0)
        self.assertGreater(report["throughput"]["verifies_per_second"], 0)
        self.assertGreater(report["peak_memory_bytes"], 1024 * 1024)
        self.assertNotIn("lambda", report)

    def test_lambda_estimate(self):
        report = self.bench_json("--lambda-memory", "512", "--arch", "arm64")
        estimate = report["lambda"]
        self.assertEqual(estimate["memory_mb"], 512)
        self.assertEqual(estimate["arch"], "arm64")
        self.assertIn("us-east-1", estimate["price_source"])
        self.assertIn("1769 MB", estimate["note"])
        self.assertGreaterEqual(estimate["estimated_usd_per_million_hashes"], 0.2)

    def test_algorithm_and_params(self):
        report = self.bench_json("-a", "pbkdf2-sha256", "-P", "rounds=1000")
        self.assertEqual(report["scheme"], "pbkdf2-sha256")
        self.assertEqual(report["parameters"]["rounds"], 1000)

    def test_table_output(self):
        done = run("bench", "-a", "bcrypt", "-P", "cost=4", "--duration", "0.2")
        self.assertEqual(done.returncode, 0, done.stderr)
        self.assertIn("median", done.stdout)
        self.assertIn("throughput:", done.stdout)
        self.assertIn("peak memory:", done.stdout)

    def test_argument_errors(self):
        cases = [
            (["--concurrency", "0"], "--concurrency"),
            (["--duration", "0"], "--duration"),
            (["--duration", "abc"], "--duration"),
            (["-a", "nope"], "unknown algorithm"),
            (["-P", "m"], "--param"),
            (["-a", "bcrypt", "-P", "cost=99"], "cost"),
            (["--lambda-memory", "64"], "--lambda-memory"),
            (["--lambda-memory", "512", "--arch", "sparc"], "--arch"),
        ]
        for args, expected in cases:
            with self.subTest(args=args):
                done = run("bench", *args)
                self.assertEqual(done.returncode, 2, done.stderr)
                self.assertIn("pwsvc: error:", done.stderr)
                self.assertIn(expected, done.stderr)
                self.assertEqual(done.stdout, "")


class TuneTest(unittest.TestCase):
    def test_argon2_snippet_passes_config_check(self):
        with TempDir() as directory:
            done = run("tune", "--target-ms", "20", "-a", "argon2id", "--max-memory", "32MiB")
            self.assertEqual(done.returncode, 0, done.stderr)
            self.assertIn('[policy]\nalgorithm = "argon2id"', done.stdout)
            self.assertIn("[policy.argon2id]", done.stdout)
            checked = config_check(directory, done.stdout)
            self.assertEqual(checked.returncode, 0, checked.stderr)

    def test_target_below_floor_prints_floor(self):
        # 600,000 PBKDF2-SHA256 rounds take far longer than 1 ms anywhere.
        done = run("tune", "--target-ms", "1", "-a", "pbkdf2-sha256")
        self.assertEqual(done.returncode, 0, done.stderr)
        self.assertIn("cannot be met", done.stderr)
        self.assertIn("rounds = 600000\n", done.stdout)
        with TempDir() as directory:
            checked = config_check(directory, done.stdout)
            self.assertEqual(checked.returncode, 0, checked.stderr)

    def test_write_plot_and_force(self):
        with TempDir() as directory:
            policy = os.path.join(directory, "policy.toml")
            plot = os.path.join(directory, "tune.svg")
            args = ["tune", "-T", "20", "-a", "argon2id", "--max-memory", "24MiB"]
            done = run(*args, "--write", policy, "--plot", plot)
            self.assertEqual(done.returncode, 0, done.stderr)
            with open(policy, encoding="utf-8") as written:
                self.assertEqual(written.read(), done.stdout)
            self.assertEqual(run("config", "check", policy).returncode, 0)

            root = ElementTree.parse(plot).getroot()
            self.assertEqual(root.tag, SVG_NAMESPACE + "svg")
            circles = root.findall(SVG_NAMESPACE + "circle")
            self.assertGreaterEqual(len(circles), 2)
            texts = "".join(text.text or "" for text in root.iter(SVG_NAMESPACE + "text"))
            self.assertIn("target 20", texts)
            self.assertIn("median latency (ms)", texts)

            rejected = run(*args, "--write", policy)
            self.assertEqual(rejected.returncode, 2)
            self.assertIn("--force", rejected.stderr)
            forced = run(*args, "--write", policy, "--force")
            self.assertEqual(forced.returncode, 0, forced.stderr)
            leftovers = [name for name in os.listdir(directory) if name.startswith(".")]
            self.assertEqual(leftovers, [])

    def test_lambda_estimate_in_comments(self):
        done = run("tune", "-T", "1", "-a", "bcrypt", "--lambda-memory", "1769")
        self.assertEqual(done.returncode, 0, done.stderr)
        self.assertIn("# AWS Lambda estimate, 1769 MB, x86_64", done.stdout)
        self.assertIn("per million hashes", done.stdout)

    def test_argument_errors(self):
        cases = [
            ([], "--target-ms"),
            (["-T", "0"], "--target-ms"),
            (["-T", "50", "-a", "md5-crypt"], "cannot tune"),
            (["-T", "50", "--max-memory", "lots"], "--max-memory"),
            (["-T", "50", "--max-memory", "12"], "--max-memory"),
            (["-T", "50", "-a", "argon2id", "--max-memory", "16MiB"], "--max-memory"),
            (["-T", "50", "--concurrency", "0"], "--concurrency"),
        ]
        for args, expected in cases:
            with self.subTest(args=args):
                done = run("tune", *args)
                self.assertEqual(done.returncode, 2, done.stderr)
                self.assertIn("pwsvc: error:", done.stderr)
                self.assertIn(expected, done.stderr)
                self.assertEqual(done.stdout, "")


if __name__ == "__main__":
    unittest.main()
