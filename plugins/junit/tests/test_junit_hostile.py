"""Hostile XML is refused with a located error, in bounded memory, and stores nothing."""

from __future__ import annotations

import threading
import tracemalloc
import urllib.request
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from gatekeeper_junit import xmlsafe
from gatekeeper_junit.parse import Options, parse_files
from gatekeeper_junit.xmlsafe import MAX_DEPTH, MAX_TEXT, parse_xml

from gatekeeper.errors import GatekeeperError, InputError
from gatekeeper.service import Actor, Gatekeeper

BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<testsuites><testsuite name="s"><testcase classname="c" name="&lol9;"/></testsuite></testsuites>
"""
FILE_ENTITY = b"""<?xml version="1.0"?>
<!DOCTYPE testsuites [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<testsuites><testsuite name="s"><testcase classname="c" name="t">
<failure message="x">&xxe;</failure></testcase></testsuite></testsuites>
"""
GOOD = b'<testsuite name="s"><testcase classname="c" name="ok"/></testsuite>'
CI_BOT = Actor(name="ci-bot")


class Recorder(BaseHTTPRequestHandler):
    requests: list[str] = []

    def do_GET(self) -> None:
        Recorder.requests.append(self.path)
        self.send_response(200)
        self.end_headers()
        self.wfile.write(b'<!ENTITY leak "leaked">')

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    """An HTTP server on 127.0.0.1 that records every request it gets (and would serve)."""
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Recorder)
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join()


@pytest.fixture
def loopback(server: str) -> str:
    Recorder.requests = []
    return server


def test_the_loopback_server_records_requests(loopback: str) -> None:
    """The no-request assertions below mean something: this server does see requests."""
    with urllib.request.urlopen(f"{loopback}/probe", timeout=5) as response:
        assert response.status == 200
    assert Recorder.requests == ["/probe"]
    Recorder.requests = []


def hostile_documents(base: str) -> dict[str, tuple[bytes, int]]:
    """name -> (document, the line the error must name); ``base`` is a loopback URL."""
    url = base.encode()
    return {
        "billion-laughs": (BILLION_LAUGHS, 2),
        "external-entity-file": (FILE_ENTITY, 2),
        "external-entity-http": (
            b'<?xml version="1.0"?>\n<!DOCTYPE t [<!ENTITY x SYSTEM "%s/x">]>\n'
            b'<testsuites><testsuite name="s"><testcase name="&x;"/></testsuite></testsuites>'
            % url,
            2,
        ),
        "external-dtd": (b'<!DOCTYPE testsuites SYSTEM "%s/j.dtd">\n<testsuites/>' % url, 1),
        "parameter-entity": (
            b'<?xml version="1.0"?>\n\n<!DOCTYPE t [<!ENTITY %% p SYSTEM "%s/p.dtd"> %%p;]>\n'
            b"<testsuites/>" % url,
            3,
        ),
        "plain-dtd": (b"<?xml version='1.0'?>\n<!DOCTYPE testsuites>\n<testsuites/>", 2),
    }


NAMES = sorted(hostile_documents("http://127.0.0.1:1"))


def refusal(data: bytes, **options: Any) -> InputError:
    with pytest.raises(InputError) as caught:
        parse_files([("up.xml", data)], Options("CentOS-Stream-9-20261124.0", "ci", **options))
    return caught.value


@pytest.mark.parametrize("name", NAMES)
def test_dtd_in_any_form_is_refused_at_its_line(name: str, loopback: str) -> None:
    data, line = hostile_documents(loopback)[name]
    error = refusal(data)
    assert (error.file, error.line) == ("up.xml", line)
    assert "document type declaration" in error.message
    assert "remove it" in error.message


@pytest.mark.parametrize("name", NAMES)
def test_nothing_is_fetched_from_the_network(name: str, loopback: str) -> None:
    refusal(hostile_documents(loopback)[name][0])
    assert Recorder.requests == []


def test_external_dtd_error_names_what_it_points_at(loopback: str) -> None:
    error = refusal(hostile_documents(loopback)["external-dtd"][0])
    assert f"{loopback}/j.dtd" in error.message


def test_a_local_file_never_leaks_into_the_error() -> None:
    error = refusal(FILE_ENTITY)
    assert "root:" not in str(error)


def test_billion_laughs_is_refused_in_bounded_memory() -> None:
    tracemalloc.start()
    try:
        refusal(BILLION_LAUGHS)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 1_000_000  # 10**9 "lol"s would need gigabytes


@pytest.mark.parametrize(
    ("data", "line", "what"),
    [
        (b"<testsuites>\n<testsuite name='s'>\n<testcase name='a'>\n</testsuite>", 4,
         "malformed XML: mismatched tag (column 3)"),
        (b"<testsuites>\n<testsuite name='&undeclared;'/></testsuites>", 2,
         "malformed XML: undefined entity"),
        (b"", 1, "malformed XML: no element found"),
        (b"\n\n<testsuites><", 3, "malformed XML"),
        (b"<?xml version='1.0'?>\n<html><body/></html>", 2,
         "<html> is not a JUnit report: the root element must be <testsuites> or <testsuite>"),
    ],
)  # fmt: skip
def test_malformed_or_foreign_xml_is_a_located_error(data: bytes, line: int, what: str) -> None:
    error = refusal(data)
    assert (error.file, error.line) == ("up.xml", line)
    assert error.message.startswith(what)
    assert str(error).startswith(f"up.xml:{line}: ")


def test_a_file_over_the_cap_is_refused_before_parsing() -> None:
    error = refusal(GOOD + b" " * 100, max_bytes=100)
    assert error.file == "up.xml"
    assert "over the 100-byte cap" in error.message
    assert "[junit] max_bytes" in error.message


def test_a_file_at_the_cap_is_accepted() -> None:
    data = GOOD.ljust(100)
    parsed = parse_files(
        [("up.xml", data)], Options("CentOS-Stream-9-20261124.0", "ci", max_bytes=100)
    )
    assert [r.testcase for r in parsed.results] == ["ci.c.ok"]


def test_nesting_is_bounded() -> None:
    deep = (
        b"<testsuites>"
        + b"<testsuite>" * MAX_DEPTH
        + b"</testsuite>" * MAX_DEPTH
        + b"</testsuites>"
    )
    assert f"nested deeper than {MAX_DEPTH}" in refusal(deep).message


def test_only_what_gatekeeper_reads_is_kept() -> None:
    big = b"x" * (10 * MAX_TEXT)
    doc = parse_xml(
        b"<testsuite><testcase name='t'><failure>" + big + b"</failure>"
        b"<system-out>" + big + b"<testcase name='hidden'/></system-out>"
        b"<unknown><testcase name='hidden'/></unknown></testcase></testsuite>",
        file="up.xml",
    )  # fmt: skip
    (case,) = doc.root
    assert [child.tag for child in case] == ["failure"]
    assert len(case[0].text or "") == MAX_TEXT


@pytest.mark.parametrize("name", NAMES)
def test_a_hostile_upload_stores_nothing(app: Gatekeeper, cid: str, name: str) -> None:
    data, _ = hostile_documents("http://127.0.0.1:9")[name]
    announced = app.history(cid)
    assert [v["version"] for v in announced] == [1]  # the announcement's decision, nothing else
    with pytest.raises(GatekeeperError):
        app.report("junit", data, compose=cid, actor=CI_BOT, options={"namespace": "ci"})
    assert app.results(cid) == []
    assert app.history(cid) == announced


def test_one_hostile_file_among_good_ones_refuses_the_upload(
    app: Gatekeeper, cid: str, samples: Path
) -> None:
    good = (samples / "junit" / "pytest-junit.xml").read_bytes()
    with pytest.raises(GatekeeperError) as caught:
        parse_files(
            [("a.xml", good), ("b.xml", BILLION_LAUGHS), ("c.xml", good)], Options(cid, "ci")
        )
    assert str(caught.value).startswith("b.xml:2: ")
    assert app.results(cid) == []


def test_the_number_of_kept_elements_is_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(xmlsafe, "MAX_ELEMENTS", 5)

    def document(cases: int) -> bytes:
        return b"<testsuite>%s</testsuite>" % b"".join(
            b"\n<testcase name='t%d'/>" % i for i in range(cases)
        )

    assert (
        len(
            parse_files(
                [("ok.xml", document(4))], Options("CentOS-Stream-9-20261124.0", "ci")
            ).results
        )
        == 4
    )
    error = refusal(document(5))
    assert (error.line, error.message) == (
        6,  # the suite, then four testcases: the fifth, on line 6, is one too many
        "more than 5 testsuite, testcase, property and result elements in one file; "
        "split the report into several files of one upload",
    )
