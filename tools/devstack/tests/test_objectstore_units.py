"""The S3 server's command line and port block (pure)."""

from __future__ import annotations

import json
from pathlib import Path

from cascade.devstack.objectstore import all_ports, identities_json, weed_argv


def test_every_listener_is_in_the_profile_block_on_loopback() -> None:
    argv = weed_argv(Path("/bin/weed"), Path("/d"), Path("/c.json"), 18433, "cascade")
    ports = {int(a.split("=", 1)[1]) for a in argv if ".port" in a and a.split("=")[1] != "0"}
    assert ports == set(all_ports(18433))
    assert "-ip.bind=127.0.0.1" in argv
    assert "-bucket=cascade" in argv
    assert "-s3.config=/c.json" in argv


def test_two_profiles_share_no_port() -> None:
    assert not set(all_ports(18333)) & set(all_ports(18433))
    assert not set(all_ports(18433)) & set(all_ports(18533))


def test_the_identity_file_holds_one_identity_with_the_key_pair() -> None:
    [identity] = json.loads(identities_json("k", "s"))["identities"]
    assert identity["credentials"] == [{"accessKey": "k", "secretKey": "s"}]
    assert "Write" in identity["actions"]
