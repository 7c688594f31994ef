"""What the HTTP API's tests share: two teams' policies, tokens of each kind of identity,
and a test client that checks every JSON response against the served OpenAPI."""

from __future__ import annotations

import re
import warnings
from dataclasses import dataclass
from typing import Any

import httpx
import jsonschema

with warnings.catch_warnings():  # starlette's note about httpx; the client works
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

from gatekeeper.service import Gatekeeper

CID = "CentOS-Stream-9-20261124.0"
RDO = """\
team: rdo
owns: ["rdo.*"]
reporters:
  groups: [CentOS/rdo]
gates:
  - testcase: rdo.smoke
    arches: [x86_64]
  - testcase: rdo.extra
    required: false
"""
IDM = """\
team: idm
owns: ["idm.*"]
reporters:
  users: [idm-bot]
gates:
  - testcase: idm.install
"""
API = "/api/v1"


@dataclass
class Tokens:
    rdo: str  # a bot in the rdo team's reporters group
    idm: str  # a bot named in the idm team's reporters.users
    admin: str
    waiver: str  # may waive, reports nothing
    revoked: str

    def auth(self, who: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {getattr(self, who)}"}


class SchemaChecks:
    """Validates responses against the served OpenAPI document; remembers what it checked."""

    def __init__(self, document: dict[str, Any]) -> None:
        self.document = document
        self.checked: set[tuple[str, str, int]] = set()
        templates = sorted(document["paths"], key=lambda p: (p.count("{"), p))
        self.routes = [
            (t, re.compile("^" + re.sub(r"\{[^}]+\}", "[^/]+", t) + "$")) for t in templates
        ]

    def template(self, path: str) -> str | None:
        return next((t for t, pattern in self.routes if pattern.match(path)), None)

    def check(self, method: str, path: str, response: httpx.Response) -> None:
        template = self.template(path)
        if template is None or method.lower() not in self.document["paths"][template]:
            return
        operation = self.document["paths"][template][method.lower()]
        declared = operation["responses"].get(str(response.status_code))
        assert declared is not None, (
            f"{method} {template}: status {response.status_code} is not in the schema "
            f"({sorted(operation['responses'])}): {response.text[:300]}"
        )
        content = declared.get("content", {})
        if "application/json" not in content:
            return
        if not response.headers.get("content-type", "").startswith("application/json"):
            assert response.headers.get("content-type", "").split(";")[0] in content, (
                f"{method} {template}: {response.headers.get('content-type')} is not declared"
            )
            return
        schema = dict(content["application/json"].get("schema", {}))
        schema["components"] = self.document["components"]
        jsonschema.validate(response.json(), schema, cls=jsonschema.Draft202012Validator)
        self.checked.add((method.upper(), template, response.status_code))


class CheckedClient(TestClient):
    """A TestClient whose every answer must be what /openapi.json says."""

    schema_checks: SchemaChecks

    def request(self, method: str, url: Any, *args: Any, **kwargs: Any) -> httpx.Response:  # type: ignore[override]
        response = super().request(method, url, *args, **kwargs)
        if hasattr(self, "schema_checks"):
            self.schema_checks.check(method, httpx.URL(str(url)).path, response)
        return response


def issue_tokens(app: Gatekeeper) -> Tokens:
    with app.store.transaction() as tx:
        tx.create_identity("rdo-ci", kind="bot", groups=["CentOS/rdo"])
        tx.create_identity("idm-bot", kind="bot")
        tx.create_identity("releng", kind="user", is_admin=True, can_waive=True)
        tx.create_identity("qe-lead", kind="user", can_waive=True)
        tokens = Tokens(
            rdo=tx.issue_token("rdo-ci"),
            idm=tx.issue_token("idm-bot"),
            admin=tx.issue_token("releng"),
            waiver=tx.issue_token("qe-lead"),
            revoked=tx.issue_token("rdo-ci", "old"),
        )
        tx.revoke_token(tokens.revoked)
    return tokens
