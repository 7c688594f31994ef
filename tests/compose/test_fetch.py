"""Where a compose is read from: ``file://`` URLs name local directories, percent-decoded;
other URL schemes and malformed URLs are located refusals."""

from __future__ import annotations

from pathlib import Path

import pytest

from gatekeeper.compose.fetch import file_url_path, open_source
from gatekeeper.compose.reader import read_compose
from gatekeeper.errors import InputError
from gatekeeper.testing.composes import SpecBuild, write_compose

BASH = SpecBuild("bash", "5.1.8", "9.el9")


def refusal(location: str) -> InputError:
    with pytest.raises(InputError) as info:
        read_compose(location)
    return info.value


@pytest.fixture
def compose(tmp_path: Path) -> Path:
    top = tmp_path / "composes" / "nightly côté 9"  # a blank and non-ASCII: percent-encoded
    write_compose(top, builds=(BASH,))
    return top


def test_a_file_url_reads_the_compose_as_its_path_does(compose: Path) -> None:
    url = compose.as_uri()
    assert "%20" in url and "%C3%B4" in url
    by_url, by_path = read_compose(url), read_compose(str(compose))
    assert by_url == by_path
    assert by_url.info.source == str(compose.resolve())
    assert by_url.info.location is None  # a local compose, as from its path


@pytest.mark.parametrize(
    "spelling",
    ["file://{path}", "file://localhost{path}", "FILE://{path}", "file:{path}"],
)
def test_every_spelling_of_a_local_file_url_is_accepted(compose: Path, spelling: str) -> None:
    url = spelling.format(path=compose.as_uri().removeprefix("file://"))
    assert [b.name for b in read_compose(url).builds] == ["bash"]


def test_a_file_url_of_the_compose_directory_is_accepted(compose: Path) -> None:
    data = read_compose((compose / "compose").as_uri() + "/")
    assert data.info.source == str(compose.resolve())


def test_a_file_url_to_nowhere_is_refused_naming_it(tmp_path: Path) -> None:
    url = (tmp_path / "nowhere").as_uri()
    assert refusal(url).message == (
        f"{url} does not exist: give a compose's top directory or its compose/"
    )


def test_a_file_url_is_percent_decoded_once(tmp_path: Path) -> None:
    assert file_url_path("file:///srv/a%2520b/c%3Fd") == Path("/srv/a%20b/c?d")


@pytest.mark.parametrize(
    ("url", "why"),
    [
        ("file://composes.example.org/srv/c", "names host 'composes.example.org'"),
        ("file:///srv/c?x=1", "has no query or fragment"),
        ("file:///srv/c#top", "has no query or fragment"),
        ("file:relative/c", "expected an absolute path"),
        ("file:///srv/%FF", "expected an absolute path, percent-encoded UTF-8"),
    ],
)
def test_a_file_url_not_naming_a_local_absolute_path_is_refused(url: str, why: str) -> None:
    error = refusal(url)
    assert error.file == url
    assert why in error.message
    assert error.message.endswith("give file:///absolute/path")


@pytest.mark.parametrize("url", ["ftp://composes.example.org/c", "s3://bucket/c", "sftp://h/c"])
def test_other_url_schemes_are_refused_naming_the_url(url: str) -> None:
    error = refusal(url)
    scheme = url.split(":")[0]
    assert str(error) == (
        f"{url}: unsupported URL scheme '{scheme}': use a local path, file://, http:// or https://"
    )


@pytest.mark.parametrize("url", ["http://[::1/c", "https:///c"])
def test_a_malformed_http_url_is_a_located_refusal(url: str) -> None:
    with pytest.raises(InputError) as info:
        open_source(url)
    assert info.value.file == url


@pytest.mark.parametrize("name", ["c" * 300, "c/" * 2100])
def test_a_path_the_system_cannot_look_up_is_a_located_refusal(name: str) -> None:
    error = refusal(name)
    assert error.file == name
    assert error.message.startswith("cannot be looked up: ")


@pytest.mark.parametrize("location", ["", "  "])
def test_no_location_is_refused_rather_than_the_working_directory_read(location: str) -> None:
    assert refusal(location).message == (
        "no compose location given: a path, a file:// or an http(s):// URL"
    )
