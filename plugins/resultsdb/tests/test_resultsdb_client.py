"""Reading ResultsDB over HTTP with resultsdb-api: both keying styles, pages, failures."""

from __future__ import annotations

import socket
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from gatekeeper_resultsdb.client import ResultsDBClient
from gatekeeper_resultsdb.mapping import ResultsDBError
from gatekeeper_resultsdb.settings import ResultsDBSettings
from resultsdb_fake import CID, OTHER, FakeResultsDB


def client(url: str, **options: Any) -> ResultsDBClient:
    values = {"url": url, "retries": 1, "backoff": 0.0, "timeout": 5, "page_size": 3, **options}
    settings = ResultsDBSettings.from_mapping(values)
    assert settings is not None
    return ResultsDBClient(settings)


def ids(results: list[Any]) -> list[str]:
    return sorted((r.id for r in results), key=int)


def test_both_keying_styles_are_queried_with_the_compose_id(resultsdb: FakeResultsDB) -> None:
    client(resultsdb.url).results(CID)
    queries = [parse_qs(urlsplit(r.split(" ", 1)[1]).query) for r in resultsdb.result_gets()]
    assert {"productmd.compose.id": [CID], "limit": ["3"]} in queries
    assert {"type": ["productmd-compose"], "item": [CID], "limit": ["3"]} in queries


def test_results_of_both_keying_styles_are_merged(resultsdb: FakeResultsDB) -> None:
    a = resultsdb.add_conventions("rdo.tempest.smoke", arch="x86_64")
    b = resultsdb.add_v3("idm.sssd.smoke", system_architecture="x86_64", system_variant="BaseOS")
    resultsdb.add_conventions("rdo.tempest.smoke", compose=OTHER)
    resultsdb.add_v3("idm.sssd.smoke", compose=OTHER)
    assert ids(client(resultsdb.url).results(CID)) == [str(a["id"]), str(b["id"])]


def test_a_result_found_by_both_queries_counts_once(resultsdb: FakeResultsDB) -> None:
    both = resultsdb.add(
        "rdo.tempest.smoke",
        data={"productmd.compose.id": CID, "type": "productmd-compose", "item": CID},
    )
    assert ids(client(resultsdb.url).results(CID)) == [str(both["id"])]


def test_every_page_is_read_by_following_next(resultsdb: FakeResultsDB) -> None:
    added = [resultsdb.add_conventions(f"rdo.case{i}") for i in range(8)]
    added += [resultsdb.add_v3(f"idm.case{i}") for i in range(7)]
    results = client(resultsdb.url, page_size=3).results(CID)
    assert ids(results) == [str(r["id"]) for r in added]
    # 8 results in pages of 3: 3 pages; 7 results: 3 pages
    assert len(resultsdb.result_gets()) == 6
    assert any("page=2" in r for r in resultsdb.result_gets())


def test_an_empty_resultsdb_gives_no_results(resultsdb: FakeResultsDB) -> None:
    assert client(resultsdb.url).results(CID) == []


def test_results_the_server_sends_for_another_compose_are_skipped(
    resultsdb: FakeResultsDB, monkeypatch: pytest.MonkeyPatch
) -> None:
    resultsdb.add_conventions("rdo.tempest.smoke", compose=OTHER)
    # a server that ignores the filter answers with everything it has
    monkeypatch.setattr(
        "resultsdb_fake.KNOWN_ARGS", {"page", "limit", "productmd.compose.id", "type", "item"}
    )
    assert len(resultsdb.results) == 1
    assert client(resultsdb.url).results(CID) == []


def test_a_server_error_is_retried_and_the_pull_recovers(resultsdb: FakeResultsDB) -> None:
    resultsdb.add_conventions("rdo.tempest.smoke")
    resultsdb.fail_next(500)
    assert len(client(resultsdb.url, retries=1).results(CID)) == 1


def test_a_server_error_that_persists_is_one_clear_error(resultsdb: FakeResultsDB) -> None:
    resultsdb.fail_next(503, count=3)
    with pytest.raises(ResultsDBError) as caught:
        client(resultsdb.url, retries=2).results(CID)
    assert str(caught.value) == (
        f"ResultsDB at {resultsdb.url}/results: answered HTTP 503 3 times "
        "(resultsdb.retries = 2); try again later"
    )


def test_a_404_is_an_error_with_resultsdbs_message(resultsdb: FakeResultsDB) -> None:
    resultsdb.fail_next(404, {"message": "Not found"})
    with pytest.raises(ResultsDBError, match=r"/results: Not found \(HTTP 404\)$"):
        client(resultsdb.url).results(CID)


def test_a_400_is_an_error_with_resultsdbs_message(resultsdb: FakeResultsDB) -> None:
    resultsdb.fail_next(400, {"message": "'since' parameter not in ISO8601 format"})
    with pytest.raises(ResultsDBError, match=r"ISO8601 format \(HTTP 400\)"):
        client(resultsdb.url).results(CID)


def test_an_error_answer_that_is_not_json_still_names_the_status(
    resultsdb: FakeResultsDB,
) -> None:
    resultsdb.fail_next(403, b"<html>Forbidden</html>")
    with pytest.raises(ResultsDBError, match=r"HTTP 403"):
        client(resultsdb.url).results(CID)


def test_a_malformed_json_page_is_an_error(resultsdb: FakeResultsDB) -> None:
    resultsdb.fail_next(200, b'{"data": [{"id": 1,')
    with pytest.raises(ResultsDBError, match="the answer is not valid JSON"):
        client(resultsdb.url).results(CID)


def test_a_page_that_is_not_a_results_page_is_an_error(resultsdb: FakeResultsDB) -> None:
    resultsdb.fail_next(200, [{"id": 1}])
    with pytest.raises(ResultsDBError, match=r"page 1 is not a v2.0 results page"):
        client(resultsdb.url).results(CID)


def test_a_failure_on_a_later_page_fails_the_whole_read(resultsdb: FakeResultsDB) -> None:
    for i in range(5):
        resultsdb.add_conventions(f"rdo.case{i}")
    rdb = client(resultsdb.url, page_size=2, retries=0)
    resultsdb.fail_next(
        200,
        {"prev": None, "next": f"{resultsdb.url}/results?page=1", "data": [resultsdb.results[0]]},
    )
    resultsdb.fail_next(500)
    with pytest.raises(ResultsDBError, match=r"results\?page=1: answered HTTP 500"):
        rdb.results(CID)


def test_paging_stops_at_the_safety_limit(resultsdb: FakeResultsDB) -> None:
    for i in range(5):
        resultsdb.add_conventions(f"rdo.case{i}")
    with pytest.raises(ResultsDBError, match=r"more than 2 pages .* resultsdb.max_pages"):
        client(resultsdb.url, page_size=1, max_pages=2).results(CID)


def test_a_next_link_back_to_a_seen_page_is_an_error(resultsdb: FakeResultsDB) -> None:
    loop: dict[str, object] = {"prev": None, "next": f"{resultsdb.url}/results?page=1", "data": []}
    resultsdb.fail_next(200, loop, count=3)
    with pytest.raises(ResultsDBError, match="links back to an earlier page"):
        client(resultsdb.url).results(CID)


def test_a_malformed_result_fails_the_read_naming_it(resultsdb: FakeResultsDB) -> None:
    resultsdb.add_conventions("rdo.tempest.smoke")
    resultsdb.results[0]["submit_time"] = "not a time"
    with pytest.raises(ResultsDBError, match=r"result 1: submit_time"):
        client(resultsdb.url).results(CID)


def test_a_refused_connection_is_one_clear_error() -> None:
    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with pytest.raises(ResultsDBError) as caught:
        client(f"http://127.0.0.1:{port}", retries=0).results(CID)
    message = str(caught.value)
    assert message.startswith(f"ResultsDB at http://127.0.0.1:{port}/api/v2.0/results: cannot")
    assert "Connection refused" in message
    assert "object at 0x" not in message


def test_no_answer_within_the_timeout_is_one_clear_error(resultsdb: FakeResultsDB) -> None:
    resultsdb.fail_next(200, {"prev": None, "next": None, "data": []}, delay=1.5)
    with pytest.raises(ResultsDBError, match=r"no answer within 0.3s \(0 retries\)"):
        client(resultsdb.url, timeout=0.3, retries=0).results(CID)
