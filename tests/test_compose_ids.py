"""One compose id grammar (productmd's) at every door: parsing, announcing, importing."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from gatekeeper.compose.reader import parse_composeinfo
from gatekeeper.errors import GatekeeperError
from gatekeeper.model import ComposeId

HOSTILE = [
    "CentOS-Stream-9/../../../x-20261124.0",
    "CentOS-Stream-9/x-20261124.0",
    "../CentOS-Stream-9-20261124.0",
    "CentOS-Stream..9-20261124.0",
    "CentOS Stream-9-20261124.0",
    "CentOS-Stream-9\n-20261124.0",
    "-Stream-9-20261124.0",
]
GOOD = [
    "CentOS-Stream-9-20261124.0",
    "CentOS-Stream-10-20261124.n.1",
    "Fedora-Rawhide-20261124.n.0",
    "RHEL-8.10.0-20240101.t.3",
    "DP-1.0-20161013.t.4",
    "RHEL-Extras-7.2-RHEL-7-20150101.0",
]


@pytest.mark.parametrize("compose_id", HOSTILE)
def test_an_id_outside_productmds_grammar_is_refused(compose_id: str) -> None:
    with pytest.raises(ValueError, match="is not a compose id"):
        ComposeId.parse(compose_id)


@pytest.mark.parametrize("compose_id", GOOD)
def test_productmds_ids_are_read(compose_id: str) -> None:
    assert ComposeId.parse(compose_id).id == compose_id


def test_announcing_a_path_shaped_id_is_bad_usage_and_stores_nothing(tmp_path: Path) -> None:
    gk = Path(sys.executable).parent / "gatekeeper"
    (tmp_path / "policies").mkdir()
    (tmp_path / "policies" / "rdo.yaml").write_text("team: rdo\n", encoding="utf-8")
    hostile = "CentOS-Stream-9/../../../x-20261124.0"
    run = subprocess.run([str(gk), "compose", "announce", hostile], cwd=tmp_path,
                         capture_output=True, text=True, timeout=60)  # fmt: skip
    assert run.returncode == 2 and "is not a compose id" in run.stderr
    listed = subprocess.run([str(gk), "compose", "list"], cwd=tmp_path,
                            capture_output=True, text=True, timeout=60)  # fmt: skip
    assert "x-20261124" not in listed.stdout


def test_a_composeinfo_whose_release_makes_a_path_shaped_id_is_refused() -> None:
    doc = {
        "header": {"type": "productmd.composeinfo", "version": "1.2"},
        "payload": {
            "compose": {
                "id": "Cent/../OS-9-20261124.0",
                "date": "20261124",
                "type": "production",
                "respin": 0,
            },
            "release": {"short": "Cent/../OS", "version": "9", "name": "x", "type": "ga"},
            "variants": {},
        },
    }
    with pytest.raises(GatekeeperError, match=r"payload\.compose\.id.*is not a compose id"):
        parse_composeinfo(json.loads(json.dumps(doc)), file="composeinfo.json", status="FINISHED")
