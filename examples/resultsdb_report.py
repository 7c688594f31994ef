"""Report one compose result to gatekeeper as a ResultsDB producer does.

Uses nothing of gatekeeper: only ``resultsdb_api.ResultsDBapi`` and
``resultsdb_conventions.prodmd.ProductmdComposeResult``, pointed at gatekeeper's ResultsDB
API v2.0 with a gatekeeper token (``gatekeeper token create``)::

    python examples/resultsdb_report.py --token TOKEN \\
        CentOS-Stream-9-20261125.n.0 t_functional.tests PASSED --arch s390x

The compose's metadata (the ``composeinfo`` the conventions need) is read from
``--composeinfo``, else from the example compose of that id under ``examples/composes/``,
else made up from the compose id. Prints what it sent and what the server answered.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
from pathlib import Path
from typing import Any

from resultsdb_api import ResultsDBapi, ResultsDBapiException
from resultsdb_conventions.prodmd import ProductmdComposeResult

EXAMPLES = Path(__file__).resolve().parent / "composes"
COMPOSE_ID = re.compile(
    r"^(?P<short>.+)-(?P<version>[^-]+)-(?P<date>\d{8})(?:\.(?P<type>[a-z]+))?\.(?P<respin>\d+)$"
)
TYPES = {None: "production", "n": "nightly", "t": "test", "ci": "ci"}


def composeinfo_for(compose_id: str, path: str | None) -> dict[str, Any]:
    """The compose's productmd composeinfo: the given file, the example's, or one from the id."""
    if path is None:
        example = EXAMPLES / compose_id / "compose" / "metadata" / "composeinfo.json"
        path = str(example) if example.is_file() else None
    if path is not None:
        info: dict[str, Any] = json.loads(Path(path).read_text())
        return info
    parts = COMPOSE_ID.match(compose_id)
    if parts is None or parts["type"] not in TYPES:
        raise SystemExit(f"cannot tell the release of {compose_id!r}: give --composeinfo FILE")
    short = parts["short"]
    return {
        "header": {"type": "productmd.composeinfo", "version": "1.2"},
        "payload": {
            "compose": {
                "id": compose_id,
                "date": parts["date"],
                "respin": int(parts["respin"]),
                "type": TYPES[parts["type"]],
            },
            "release": {
                "name": short.replace("-", " "),
                "short": short,
                "version": parts["version"],
            },
        },
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("compose_id", help="the compose the result is of")
    parser.add_argument("testcase", help="e.g. t_functional.tests")
    parser.add_argument("outcome", help="PASSED, FAILED, INFO, NEEDS_INSPECTION, ERROR, ...")
    parser.add_argument("--url", default="http://127.0.0.1:8080/api/v2.0",
                        help="gatekeeper's ResultsDB API (default: %(default)s)")  # fmt: skip
    parser.add_argument("--token", default=os.environ.get("GATEKEEPER_TOKEN"),
                        help="a gatekeeper token of a reporter of the testcase's team "
                        "(default: $GATEKEEPER_TOKEN)")  # fmt: skip
    parser.add_argument("--arch", help="the arch tested (system_architecture)")
    parser.add_argument("--variant", help="the variant tested (system_variant)")
    parser.add_argument("--scenario", help="the scenario (e.g. packstack)")
    parser.add_argument("--ref-url", default="", help="the job's log")
    parser.add_argument("--note", default="")
    parser.add_argument("--source", default="", help="the producer (e.g. openqa)")
    parser.add_argument("--composeinfo", help="the compose's composeinfo.json")
    args = parser.parse_args(argv)

    result = ProductmdComposeResult(
        composeinfo_for(args.compose_id, args.composeinfo), args.outcome, args.testcase,
        note=args.note, ref_url=args.ref_url, source=args.source,
    )  # fmt: skip
    for key, value in (("system_architecture", args.arch), ("system_variant", args.variant),
                       ("scenario", args.scenario)):  # fmt: skip
        if value:
            result.extradata[key] = value
    try:
        created = result.report(ResultsDBapi(args.url, auth_token=args.token))
    except ResultsDBapiException as refused:
        print(f"refused: {refused}", file=sys.stderr)
        return 1
    sent = {"outcome": result.outcome, "testcase": result.testcase_object,
            "groups": result.groups, "note": result.note, "ref_url": result.ref_url,
            "data": result.extradata}  # fmt: skip
    print("sent:", json.dumps(sent, indent=2, sort_keys=True))
    print("stored:", json.dumps({"id": created["id"], "href": created["href"]}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
