"""The vector files' rows and the verify result pwsvc owes each one."""

import base64
import json
import os
import unicodedata

VECTORS = os.path.dirname(os.path.abspath(__file__))


def read_jsonl(name):
    with open(os.path.join(VECTORS, name), encoding="utf-8") as lines:
        return [json.loads(line) for line in lines if line.strip()]


def expected_match(row):
    """The match a verifier that normalizes to NFKC owes `row`, pwsvc's default.

    The vectors' expect_verify is byte for byte. They also mark the candidates
    that only a normalizing verifier accepts: the other normal form of the
    text the hash was made from. Of those, the ones NFKC changes match.
    """
    if row["expect_verify"]:
        return True
    if "only a normalizing service would accept" not in row["note"]:
        return False
    try:
        text = base64.b64decode(row["password_b64"]).decode("utf-8")
    except UnicodeDecodeError:
        return False
    return unicodedata.normalize("NFKC", text) != text
