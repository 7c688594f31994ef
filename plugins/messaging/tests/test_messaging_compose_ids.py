"""A "compose published" message names its compose by the one compose id grammar, as every
other message does: another id is malformed (the consumer drops it) before it names
anything."""

import pytest
from gatekeeper_messaging.inbound import Malformed, published_compose

HOSTILE = [
    "CentOS-Stream-9/../../../x-20261124.0",
    "CentOS-Stream-9-20261124.\u0663",
    "A" * 300 + "-9-20261124.0",
]


@pytest.mark.parametrize("compose", HOSTILE)
@pytest.mark.parametrize("shape", ["compose_id", "compose", "compose.id"])
def test_a_published_message_naming_no_compose_id_is_malformed(compose: str, shape: str) -> None:
    body = {"compose": {"id": compose}} if shape == "compose.id" else {shape: compose}
    with pytest.raises(Malformed, match="is not a compose id"):
        published_compose(body)


@pytest.mark.parametrize("shape", ["compose_id", "compose", "compose.id"])
def test_a_published_message_names_its_compose(shape: str) -> None:
    compose = "CentOS-Stream-9-20261124.0"
    body = {"compose": {"id": compose}} if shape == "compose.id" else {shape: compose}
    assert published_compose(body) == compose
