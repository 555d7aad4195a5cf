"""Tests of packaging/lambda: function.zip from build-zip.sh, and the SAM template."""

import os
import stat
import struct
import subprocess
import tempfile
import unittest
import zipfile

import yaml

from runtime_emulator import RuntimeEmulator

SOURCE = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
BUILD_DIR = os.environ["PWSVC_BUILD_DIR"]
BUILD_ZIP = os.path.join(SOURCE, "packaging", "lambda", "build-zip.sh")
TEMPLATE = os.path.join(SOURCE, "packaging", "lambda", "template.yaml")

PT_INTERP = 3


def program_header_types(path):
    """Returns the p_type of every program header of a 64-bit little-endian ELF file."""
    with open(path, "rb") as file:
        header = file.read(64)
        if header[:4] != b"\x7fELF" or header[4] != 2 or header[5] != 1:
            raise ValueError(f"{path} is not a 64-bit little-endian ELF file")
        phoff, = struct.unpack_from("<Q", header, 32)
        phentsize, phnum = struct.unpack_from("<HH", header, 54)
        types = []
        for index in range(phnum):
            file.seek(phoff + index * phentsize)
            types.append(struct.unpack("<I", file.read(4))[0])
        return types


class CloudFormationLoader(yaml.SafeLoader):
    """Reads CloudFormation's short tags (!Ref, !Sub, ...) as {"!Tag": value}."""


def _tagged(loader, suffix, node):
    if isinstance(node, yaml.ScalarNode):
        value = loader.construct_scalar(node)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)
    return {"!" + suffix: value}


CloudFormationLoader.add_multi_constructor("!", _tagged)


class FunctionZipTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.TemporaryDirectory()
        cls.zip_path = os.path.join(cls.dir.name, "function.zip")
        config = os.path.join(cls.dir.name, "packaged.toml")
        with open(config, "w", encoding="utf-8") as file:
            file.write("[policy.argon2id]\nm = 96\nt = 1\np = 1\n")
        subprocess.run([BUILD_ZIP, "--config", config, BUILD_DIR, cls.zip_path], check=True,
                       stdout=subprocess.DEVNULL)
        cls.extracted = os.path.join(cls.dir.name, "task")
        with zipfile.ZipFile(cls.zip_path) as archive:
            cls.entries = {info.filename: info for info in archive.infolist()}
            archive.extractall(cls.extracted)
        # zipfile does not restore mode bits, so set them from the archive.
        for name, info in cls.entries.items():
            os.chmod(os.path.join(cls.extracted, name), (info.external_attr >> 16) & 0o777)

    @classmethod
    def tearDownClass(cls):
        cls.dir.cleanup()

    def test_contents(self):
        self.assertEqual(sorted(self.entries), ["bootstrap", "pwsvc.toml"])

    def test_bootstrap_is_executable_file(self):
        mode = self.entries["bootstrap"].external_attr >> 16
        self.assertTrue(stat.S_ISREG(mode), oct(mode))
        self.assertEqual(mode & 0o777, 0o755)

    def test_bootstrap_is_static(self):
        path = os.path.join(self.extracted, "bootstrap")
        self.assertNotIn(PT_INTERP, program_header_types(path))
        ldd = subprocess.run(["ldd", path], capture_output=True, text=True)
        self.assertIn("not a dynamic executable", ldd.stdout + ldd.stderr)

    def test_packaged_bootstrap_serves_with_packaged_config(self):
        emulator = RuntimeEmulator()
        process = subprocess.Popen(
            [os.path.join(self.extracted, "bootstrap")],
            env={"AWS_LAMBDA_RUNTIME_API": emulator.endpoint, "LAMBDA_TASK_ROOT": self.extracted},
            stdout=subprocess.DEVNULL)
        try:
            result = emulator.invoke({"action": "hash", "password": "packaged-walnut-93"})
            self.assertEqual(result.kind, "response", result.body)
            self.assertIn("m=96,t=1,p=1", result.json()["hash"])
        finally:
            process.kill()
            process.wait(timeout=10)
            emulator.close()

    def test_missing_config_is_rejected(self):
        result = subprocess.run([BUILD_ZIP, "--config", "/nonexistent.toml", BUILD_DIR],
                                capture_output=True, text=True)
        self.assertEqual(result.returncode, 2)
        self.assertIn("/nonexistent.toml", result.stderr)


class TemplateTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        with open(TEMPLATE, encoding="utf-8") as file:
            cls.template = yaml.load(file, Loader=CloudFormationLoader)

    def test_header(self):
        self.assertEqual(self.template["AWSTemplateFormatVersion"], "2010-09-09")
        self.assertEqual(self.template["Transform"], "AWS::Serverless-2016-10-31")

    def test_parameters(self):
        parameters = self.template["Parameters"]
        for name in ("MemorySize", "Architecture", "ThrottlingRateLimit", "ThrottlingBurstLimit"):
            with self.subTest(name=name):
                self.assertIn(name, parameters)
                self.assertIn("Default", parameters[name])
        self.assertEqual(parameters["Architecture"]["AllowedValues"], ["x86_64", "arm64"])
        self.assertGreaterEqual(parameters["MemorySize"]["MinValue"], 128)
        self.assertLessEqual(parameters["MemorySize"]["MaxValue"], 10240)

    def test_function(self):
        function = self.template["Resources"]["Function"]
        self.assertEqual(function["Type"], "AWS::Serverless::Function")
        properties = function["Properties"]
        self.assertEqual(properties["Runtime"], "provided.al2023")
        self.assertEqual(properties["Handler"], "bootstrap")
        self.assertEqual(properties["CodeUri"], "function.zip")
        self.assertEqual(properties["MemorySize"], {"!Ref": "MemorySize"})
        self.assertEqual(properties["Architectures"], [{"!Ref": "Architecture"}])

    def test_http_api_throttling(self):
        api = self.template["Resources"]["HttpApi"]
        self.assertEqual(api["Type"], "AWS::Serverless::HttpApi")
        settings = api["Properties"]["DefaultRouteSettings"]
        self.assertEqual(settings["ThrottlingRateLimit"], {"!Ref": "ThrottlingRateLimit"})
        self.assertEqual(settings["ThrottlingBurstLimit"], {"!Ref": "ThrottlingBurstLimit"})

    def test_routes(self):
        events = self.template["Resources"]["Function"]["Properties"]["Events"]
        routes = set()
        for event in events.values():
            self.assertEqual(event["Type"], "HttpApi")
            self.assertEqual(event["Properties"]["ApiId"], {"!Ref": "HttpApi"})
            routes.add((event["Properties"]["Method"], event["Properties"]["Path"]))
        self.assertEqual(routes, {("POST", "/v1/hash"), ("POST", "/v1/verify"),
                                  ("POST", "/v1/identify"), ("GET", "/v1/policy"),
                                  ("GET", "/healthz")})


if __name__ == "__main__":
    unittest.main()
