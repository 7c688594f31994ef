"""Reading a compose: its info, its builds, every refusal located, over paths and HTTP."""

from __future__ import annotations

import http.server
import json
import shutil
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from productmd.rpms import Rpms

from gatekeeper.compose.fetch import FetchError, HttpSource, compose_top, open_source
from gatekeeper.compose.reader import read_compose
from gatekeeper.errors import InputError
from gatekeeper.testing.composes import SpecBuild, SpecRpm, write_compose

# shared/ sits beside the repository's clone (here and in CI)
SAMPLE = Path(__file__).parents[3] / "shared/samples/productmd/composeinfo-DP-1.0-20161013.t.4.json"
RPMS = "compose/metadata/rpms.json"
COMPOSEINFO = "compose/metadata/composeinfo.json"
BASH = SpecBuild(
    "bash",
    "5.1.8",
    "9.el9",
    rpms=(SpecRpm("bash"), SpecRpm("bash-doc", noarch=True)),
    debuginfo=True,
)
GLIBC = SpecBuild(
    "glibc",
    "2.34",
    "100.el9",
    variants=("BaseOS", "AppStream"),
    rpms=(SpecRpm("glibc", multilib=True), SpecRpm("glibc-devel", multilib=True)),
    debuginfo=True,
)
PERL_TIME = SpecBuild("perl-Time-HiRes", "1.9764", "462.el9", epoch=4, variants=("AppStream",))


def make(top: Path, *builds: SpecBuild, **options: Any) -> Path:
    write_compose(top, builds=builds or (BASH, GLIBC, PERL_TIME), **options)
    return top


def edit(path: Path, change: Callable[[dict[str, Any]], None]) -> None:
    doc = json.loads(path.read_text())
    change(doc)
    path.write_text(json.dumps(doc, indent=4))


def refusal(location: Path | str, **options: Any) -> InputError:
    with pytest.raises(InputError) as info:
        read_compose(str(location), **options)
    return info.value


def by_name(location: Path | str, **options: Any) -> dict[str, Any]:
    return {b.name: b for b in read_compose(str(location), **options).builds}


# --- composeinfo and STATUS -------------------------------------------------------------


def test_compose_info_comes_from_composeinfo_and_status(tmp_path: Path) -> None:
    info = read_compose(str(make(tmp_path))).info
    assert (info.id, info.product, info.date, info.type, info.respin, info.status) == (
        "CentOS-Stream-9-20261124.n.0",
        "CentOS-Stream-9",
        "20261124",
        "nightly",
        0,
        "FINISHED",
    )
    assert info.variants == {
        "AppStream": ("aarch64", "ppc64le", "s390x", "x86_64"),
        "BaseOS": ("aarch64", "ppc64le", "s390x", "x86_64"),
    }
    assert info.label is None and info.location is None


def test_label_is_read(tmp_path: Path) -> None:
    top = make(tmp_path, compose_type="production", label="RC-1.0")
    assert read_compose(str(top)).info.label == "RC-1.0"


@pytest.mark.skipif(not SAMPLE.exists(), reason=f"the Pungi sample is not at {SAMPLE}")
def test_pungi_sample_composeinfo_is_read(tmp_path: Path) -> None:
    metadata = tmp_path / "compose" / "metadata"
    metadata.mkdir(parents=True)
    shutil.copy(SAMPLE, metadata / "composeinfo.json")
    (tmp_path / "STATUS").write_text("FINISHED\n")
    rpms = Rpms()
    rpms.compose.id, rpms.compose.date = "DP-1.0-20161013.t.4", "20161013"
    rpms.compose.type, rpms.compose.respin = "test", 4
    for variant, arch, rpm_arch in (("Server", "s390x", "s390x"), ("Client", "i386", "i686")):
        path = f"{variant}/{arch}/os/Packages/d/dp-1.0-1.{rpm_arch}.rpm"
        nevra, srpm = f"dp-0:1.0-1.{rpm_arch}", "dp-0:1.0-1.src"
        rpms.add(variant, arch, nevra, path, None, "binary", srpm)
    rpms.dump(str(metadata / "rpms.json"))

    data = read_compose(str(tmp_path))

    assert (data.info.id, data.info.product, data.info.type, data.info.respin) == (
        "DP-1.0-20161013.t.4",
        "DP-1.0",
        "test",
        4,
    )
    assert data.info.variants == {"Client": ("i386", "x86_64"), "Server": ("s390x", "x86_64")}
    (build,) = data.builds
    assert (build.variants, build.arches, build.rpms) == (
        ("Client", "Server"),
        ("i386", "s390x"),
        {"dp": ("i686", "s390x")},
    )


def test_finished_incomplete_compose_is_imported(tmp_path: Path) -> None:
    top = make(tmp_path, status="FINISHED_INCOMPLETE")
    assert read_compose(str(top)).info.status == "FINISHED_INCOMPLETE"


@pytest.mark.parametrize("status", ["STARTED", "DOOMED", "TERMINATED"])
def test_unfinished_compose_is_refused_with_its_status(tmp_path: Path, status: str) -> None:
    error = refusal(make(tmp_path, status=status))
    assert error.file == "STATUS"
    assert repr(status) in error.message and "only finished composes" in error.message


def test_missing_status_is_refused(tmp_path: Path) -> None:
    error = refusal(make(tmp_path, status=None))
    assert error.file == "STATUS" and "does not exist" in error.message


def test_missing_composeinfo_is_refused(tmp_path: Path) -> None:
    (make(tmp_path) / COMPOSEINFO).unlink()
    error = refusal(tmp_path)
    assert (error.file, error.message) == (COMPOSEINFO, "does not exist")


def test_corrupt_composeinfo_names_the_line(tmp_path: Path) -> None:
    (make(tmp_path) / COMPOSEINFO).write_text('{\n  "header": {\n    "type": oops\n}')
    error = refusal(tmp_path)
    assert (error.file, error.line) == (COMPOSEINFO, 3)
    assert "not valid JSON" in error.message


def test_composeinfo_with_wrong_header_type_is_refused(tmp_path: Path) -> None:
    edit(make(tmp_path) / COMPOSEINFO, lambda d: d["header"].update(type="productmd.images"))
    error = refusal(tmp_path)
    assert (error.file, error.key) == (COMPOSEINFO, "header.type")
    assert "'productmd.images'" in error.message


def test_old_header_without_type_is_accepted(tmp_path: Path) -> None:
    def old(doc: dict[str, Any]) -> None:
        doc["header"] = {"version": "1.0"}

    edit(make(tmp_path) / COMPOSEINFO, old)
    edit(tmp_path / RPMS, old)
    assert read_compose(str(tmp_path)).info.id == "CentOS-Stream-9-20261124.n.0"


def test_composeinfo_with_0_3_header_and_product_section_is_read(tmp_path: Path) -> None:
    def old(doc: dict[str, Any]) -> None:
        doc["header"] = {"version": "0.3"}
        doc["payload"]["product"] = doc["payload"].pop("release")

    edit(make(tmp_path) / COMPOSEINFO, old)
    assert read_compose(str(tmp_path)).info.product == "CentOS-Stream-9"


def test_release_type_is_part_of_the_compose_id(tmp_path: Path) -> None:
    def updates(doc: dict[str, Any]) -> None:
        doc["payload"]["release"]["type"] = "updates"
        doc["payload"]["compose"]["id"] = "CentOS-Stream-9-updates-20261124.n.0"

    edit(make(tmp_path, BASH) / COMPOSEINFO, updates)
    edit(
        tmp_path / RPMS,
        lambda d: d["payload"]["compose"].update(id="CentOS-Stream-9-updates-20261124.n.0"),
    )
    info = read_compose(str(tmp_path)).info
    assert (info.id, info.product) == ("CentOS-Stream-9-updates-20261124.n.0", "CentOS-Stream-9")


def test_layered_product_id_names_its_base_product(tmp_path: Path) -> None:
    layered_id = "CentOS-Stream-9-RHEL-9-20261124.n.0"

    def layered(doc: dict[str, Any]) -> None:
        doc["payload"]["release"]["is_layered"] = True
        doc["payload"]["base_product"] = {"name": "RHEL", "short": "RHEL", "version": "9"}
        doc["payload"]["compose"]["id"] = layered_id

    edit(make(tmp_path, BASH) / COMPOSEINFO, layered)
    edit(tmp_path / RPMS, lambda d: d["payload"]["compose"].update(id=layered_id))
    assert read_compose(str(tmp_path)).info.id == layered_id


def test_compose_id_contradicting_composeinfo_is_refused(tmp_path: Path) -> None:
    edit(make(tmp_path) / COMPOSEINFO, lambda d: d["payload"]["compose"].update(respin=3))
    error = refusal(tmp_path)
    assert (error.file, error.key) == (COMPOSEINFO, "payload.compose.id")
    assert "'CentOS-Stream-9-20261124.n.3'" in error.message


def test_missing_composeinfo_field_is_located(tmp_path: Path) -> None:
    edit(make(tmp_path) / COMPOSEINFO, lambda d: d["payload"]["release"].pop("short"))
    error = refusal(tmp_path)
    assert (error.file, error.key, error.message) == (
        COMPOSEINFO,
        "payload.release.short",
        "is missing",
    )


# --- rpms.json: refusals ----------------------------------------------------------------


def test_missing_rpms_json_is_refused(tmp_path: Path) -> None:
    (make(tmp_path) / RPMS).unlink()
    error = refusal(tmp_path)
    assert (error.file, error.message) == (RPMS, "does not exist")


def test_corrupt_rpms_json_names_the_line(tmp_path: Path) -> None:
    path = make(tmp_path) / RPMS
    lines = path.read_text().splitlines()
    lines[9] = lines[9] + ","  # a trailing comma inside an object
    path.write_text("\n".join(lines))
    error = refusal(tmp_path)
    assert error.file == RPMS and error.line is not None and error.line >= 10
    assert "not valid JSON" in error.message


def test_rpms_json_with_wrong_header_type_is_refused(tmp_path: Path) -> None:
    edit(make(tmp_path) / RPMS, lambda d: d["header"].update(type="productmd.composeinfo"))
    error = refusal(tmp_path)
    assert (error.file, error.key) == (RPMS, "header.type")


def test_rpms_json_of_another_compose_is_refused(tmp_path: Path) -> None:
    other = "CentOS-Stream-9-20261123.n.0"
    edit(make(tmp_path) / RPMS, lambda d: d["payload"]["compose"].update(id=other))
    error = refusal(tmp_path)
    assert (error.file, error.key) == (RPMS, "payload.compose.id")
    assert repr(other) in error.message and "different composes" in error.message


def test_unparseable_rpm_nevra_is_refused_with_its_key(tmp_path: Path) -> None:
    def break_one(doc: dict[str, Any]) -> None:
        rpms = doc["payload"]["rpms"]["BaseOS"]["x86_64"]["bash-0:5.1.8-9.el9.src"]
        rpms["bash-broken"] = rpms.pop("bash-0:5.1.8-9.el9.x86_64")

    edit(make(tmp_path, BASH) / RPMS, break_one)
    error = refusal(tmp_path)
    assert error.file == RPMS
    assert error.key == "payload.rpms.BaseOS.x86_64[bash-0:5.1.8-9.el9.src][bash-broken]"
    assert "'bash-broken' is not a NEVRA" in error.message


def test_unparseable_srpm_nevra_is_refused_with_its_key(tmp_path: Path) -> None:
    def break_srpm(doc: dict[str, Any]) -> None:
        arches = doc["payload"]["rpms"]["BaseOS"]
        arches["x86_64"]["bash:src"] = arches["x86_64"].pop("bash-0:5.1.8-9.el9.src")

    edit(make(tmp_path, BASH) / RPMS, break_srpm)
    assert refusal(tmp_path).key == "payload.rpms.BaseOS.x86_64[bash:src]"


def test_variant_missing_from_composeinfo_is_refused(tmp_path: Path) -> None:
    def rename(doc: dict[str, Any]) -> None:
        doc["payload"]["rpms"]["Extras"] = doc["payload"]["rpms"].pop("BaseOS")

    edit(make(tmp_path, BASH) / RPMS, rename)
    error = refusal(tmp_path)
    assert (error.file, error.key) == (RPMS, "payload.rpms.Extras")


def test_arch_missing_from_composeinfo_is_refused(tmp_path: Path) -> None:
    edit(
        make(tmp_path, BASH) / COMPOSEINFO,
        lambda d: d["payload"]["variants"]["BaseOS"].update(arches=["x86_64"]),
    )
    assert refusal(tmp_path).key == "payload.rpms.BaseOS.aarch64"


def test_rpm_entry_that_is_not_an_object_is_refused(tmp_path: Path) -> None:
    def flatten(doc: dict[str, Any]) -> None:
        rpms = doc["payload"]["rpms"]["BaseOS"]["s390x"]["bash-0:5.1.8-9.el9.src"]
        rpms["bash-0:5.1.8-9.el9.s390x"] = "BaseOS/s390x/os/Packages/b/bash.rpm"

    edit(make(tmp_path, BASH) / RPMS, flatten)
    error = refusal(tmp_path)
    assert (
        error.key == "payload.rpms.BaseOS.s390x[bash-0:5.1.8-9.el9.src][bash-0:5.1.8-9.el9.s390x]"
    )
    assert error.message == "expected an object, found a string"


# --- grouping into builds ---------------------------------------------------------------


def test_builds_are_source_packages_sorted_by_name(tmp_path: Path) -> None:
    data = read_compose(str(make(tmp_path)))
    assert [b.nvr for b in data.builds] == [
        "bash-5.1.8-9.el9",
        "glibc-2.34-100.el9",
        "perl-Time-HiRes-1.9764-462.el9",
    ]


def test_epoch_is_kept(tmp_path: Path) -> None:
    assert by_name(make(tmp_path))["perl-Time-HiRes"].evr == "4:1.9764-462.el9"


def test_srpm_under_every_arch_is_one_build_and_no_binary_rpm(tmp_path: Path) -> None:
    data = read_compose(str(make(tmp_path, BASH)))
    (bash,) = data.builds
    assert set(bash.rpms) == {"bash", "bash-doc"}
    assert data.rpm_count == 4 + 1  # bash on four arches, one noarch bash-doc


def test_noarch_rpm_ships_in_every_tree_arch_as_noarch(tmp_path: Path) -> None:
    bash = by_name(make(tmp_path, BASH))["bash"]
    assert bash.rpms["bash-doc"] == ("noarch",)
    assert bash.arches == ("aarch64", "ppc64le", "s390x", "x86_64")


def test_multilib_i686_rpm_in_x86_64_tree_adds_an_rpm_arch_not_a_tree_arch(
    tmp_path: Path,
) -> None:
    glibc = by_name(make(tmp_path, GLIBC))["glibc"]
    assert glibc.rpms["glibc"] == ("aarch64", "i686", "ppc64le", "s390x", "x86_64")
    assert glibc.arches == ("aarch64", "ppc64le", "s390x", "x86_64")


def test_build_in_two_variants_lists_both(tmp_path: Path) -> None:
    assert by_name(make(tmp_path, GLIBC))["glibc"].variants == ("AppStream", "BaseOS")


def test_rpm_count_counts_distinct_binary_nevras_across_variants(tmp_path: Path) -> None:
    # glibc and glibc-devel on 4 arches plus their i686 builds, listed in two variants
    assert read_compose(str(make(tmp_path, GLIBC))).rpm_count == 2 * 5


def test_exclusive_arch_build_ships_only_there(tmp_path: Path) -> None:
    only = SpecBuild("grub2-efi", "2.06", "80.el9", arches=("x86_64", "aarch64"))
    assert by_name(make(tmp_path, only))["grub2-efi"].arches == ("aarch64", "x86_64")


def test_debuginfo_is_left_out_by_default(tmp_path: Path) -> None:
    glibc = by_name(make(tmp_path, GLIBC))["glibc"]
    assert not any("debug" in name for name in glibc.rpms)


def test_debuginfo_is_included_when_asked(tmp_path: Path) -> None:
    glibc = by_name(make(tmp_path, GLIBC), with_debuginfo=True)["glibc"]
    assert {"glibc-debuginfo", "glibc-devel-debuginfo", "glibc-debugsource"} <= set(glibc.rpms)
    assert glibc.rpms["glibc-debuginfo"] == ("aarch64", "i686", "ppc64le", "s390x", "x86_64")


def test_debug_category_is_left_out_whatever_the_name(tmp_path: Path) -> None:
    def mark(doc: dict[str, Any]) -> None:
        for arch in doc["payload"]["rpms"]["BaseOS"].values():
            arch["bash-0:5.1.8-9.el9.src"]["bash-doc-0:5.1.8-9.el9.noarch"]["category"] = "debug"

    edit(make(tmp_path, BASH) / RPMS, mark)
    assert set(by_name(tmp_path)["bash"].rpms) == {"bash"}


def test_debuginfo_named_rpm_is_left_out_even_if_marked_binary(tmp_path: Path) -> None:
    odd = SpecBuild("foo", "1", "1.el9", rpms=(SpecRpm("foo"), SpecRpm("foo-debuginfo")))
    assert set(by_name(make(tmp_path, odd))["foo"].rpms) == {"foo"}


def test_build_with_only_debug_rpms_stays_a_build_without_rpms(tmp_path: Path) -> None:
    odd = SpecBuild("foo", "1", "1.el9", rpms=(SpecRpm("foo-debugsource"),))
    foo = by_name(make(tmp_path, odd))["foo"]
    assert (foo.variants, foo.arches, dict(foo.rpms)) == (("BaseOS",), (), {})


def test_src_entry_not_marked_source_is_not_a_binary_rpm(tmp_path: Path) -> None:
    def unmark(doc: dict[str, Any]) -> None:
        for arch in doc["payload"]["rpms"]["BaseOS"].values():
            arch["bash-0:5.1.8-9.el9.src"]["bash-0:5.1.8-9.el9.src"]["category"] = "binary"

    edit(make(tmp_path, BASH) / RPMS, unmark)
    data = read_compose(str(tmp_path))
    assert data.builds[0].rpms["bash"] == ("aarch64", "ppc64le", "s390x", "x86_64")
    assert data.rpm_count == 5


def test_nevras_without_zero_epoch_are_the_same_build(tmp_path: Path) -> None:
    def drop_epochs(doc: dict[str, Any]) -> None:
        arches = doc["payload"]["rpms"]["BaseOS"]
        srpms = arches["x86_64"]
        rpms = srpms.pop("bash-0:5.1.8-9.el9.src")
        srpms["bash-5.1.8-9.el9.src"] = {k.replace("0:", ""): v for k, v in rpms.items()}

    edit(make(tmp_path, BASH) / RPMS, drop_epochs)
    data = read_compose(str(tmp_path))
    assert [b.nvr for b in data.builds] == ["bash-5.1.8-9.el9"]
    assert data.rpm_count == 5


def test_rpms_json_with_0_3_header_is_read(tmp_path: Path) -> None:
    make(tmp_path, BASH)
    entry = {"path": "BaseOS/x86_64/os/Packages/b/x.rpm", "sigkey": None}
    legacy = {
        "header": {"version": "0.3"},
        "payload": {
            "compose": {
                "id": "CentOS-Stream-9-20261124.n.0",
                "date": "20261124",
                "type": "nightly",
                "respin": 0,
            },
            "manifest": {
                "BaseOS": {
                    "x86_64": {
                        "bash-0:5.1.8-9.el9.src": {
                            "bash-0:5.1.8-9.el9.x86_64": {**entry, "type": "package"},
                            "bash-debuginfo-0:5.1.8-9.el9.x86_64": {**entry, "type": "debug"},
                        }
                    },
                    "src": {"bash-0:5.1.8-9.el9.src": entry},
                }
            },
        },
    }
    (tmp_path / RPMS).write_text(json.dumps(legacy))
    Rpms().load(str(tmp_path / RPMS))  # productmd reads it too

    (bash,) = read_compose(str(tmp_path)).builds
    assert (bash.arches, dict(bash.rpms)) == (("x86_64",), {"bash": ("x86_64",)})


def test_old_rpm_manifest_json_name_is_read(tmp_path: Path) -> None:
    rpms = make(tmp_path, BASH) / RPMS
    rpms.rename(rpms.with_name("rpm-manifest.json"))
    assert [b.name for b in read_compose(str(tmp_path)).builds] == ["bash"]


def test_progress_reports_each_variant_arch_pair(tmp_path: Path) -> None:
    calls: list[tuple[int, int]] = []
    read_compose(
        str(make(tmp_path, GLIBC)), progress=lambda done, total: calls.append((done, total))
    )
    assert calls == [(done, 8) for done in range(9)]


# --- layout: top directory or compose/ --------------------------------------------------


def test_compose_directory_is_accepted_as_location(tmp_path: Path) -> None:
    make(tmp_path, BASH)
    data = read_compose(str(tmp_path / "compose"))
    assert (data.info.status, [b.name for b in data.builds]) == ("FINISHED", ["bash"])


def test_directory_that_is_no_compose_is_refused_saying_so(tmp_path: Path) -> None:
    error = refusal(tmp_path)
    assert error.file == "STATUS" and "is not a compose's top directory" in error.message


def test_location_that_does_not_exist_is_refused(tmp_path: Path) -> None:
    assert "does not exist" in refusal(tmp_path / "nowhere").message


# --- HTTP -------------------------------------------------------------------------------


class _QuietServer(http.server.ThreadingHTTPServer):
    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # a client that timed out leaves a broken pipe behind: expected here


class Server:
    """A loopback HTTP server for a directory; ``faults[path]`` is a list of what the next
    requests for that path get instead of the file: an HTTP status, or "slow"."""

    def __init__(self, root: Path) -> None:
        self.faults: dict[str, list[int | str]] = {}
        self.requests: list[tuple[str, str]] = []
        server = self

        class Handler(http.server.SimpleHTTPRequestHandler):
            def __init__(self, *args: Any, **kwargs: Any) -> None:
                super().__init__(*args, directory=str(root), **kwargs)

            def log_message(self, format: str, *args: Any) -> None:
                pass

            def send_head(self) -> Any:
                server.requests.append((self.command, self.path))
                pending = server.faults.get(self.path)
                fault = pending.pop(0) if pending else None
                if fault == "slow":
                    time.sleep(1.0)
                elif isinstance(fault, int):
                    self.send_error(fault)
                    return None
                return super().send_head()

        self.httpd = _QuietServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, args=(0.05,), daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def served(tmp_path: Path) -> Iterator[Server]:
    make(tmp_path / "c", BASH, GLIBC)
    server = Server(tmp_path)
    yield server
    server.close()


def quick(url: str, *, timeout: float = 5.0) -> HttpSource:
    return HttpSource(url, timeout=timeout, retries=3, backoff=0.01)


def test_compose_is_read_over_http(served: Server) -> None:
    url = f"{served.url}/c"
    data = read_compose(url, source=quick(url))
    assert [b.name for b in data.builds] == ["bash", "glibc"]
    assert data.info.location == url


def test_compose_directory_url_is_accepted(served: Server) -> None:
    url = f"{served.url}/c/compose/"
    data = read_compose(url, source=quick(url))
    assert (data.info.status, data.info.location) == ("FINISHED", f"{served.url}/c")


def test_http_503_is_retried_until_it_succeeds(served: Server) -> None:
    served.faults["/c/compose/metadata/rpms.json"] = [503, 503]
    data = read_compose("", source=quick(f"{served.url}/c"))
    assert len(data.builds) == 2
    gets = [p for m, p in served.requests if m == "GET" and p.endswith("rpms.json")]
    assert len(gets) == 3


def test_http_429_is_retried(served: Server) -> None:
    served.faults["/c/STATUS"] = [429]
    assert quick(f"{served.url}/c").read_bytes("STATUS") == b"FINISHED\n"


def test_http_errors_give_up_after_the_retries(served: Server) -> None:
    served.faults["/c/STATUS"] = [500] * 4
    with pytest.raises(FetchError, match=r"HTTP 500 .*gave up after 4 attempts") as info:
        quick(f"{served.url}/c").read_bytes("STATUS")
    assert info.value.status == 500


def test_http_timeout_is_retried_then_given_up(served: Server) -> None:
    served.faults["/c/STATUS"] = ["slow"] * 4
    started = time.monotonic()
    with pytest.raises(FetchError, match="gave up after 4 attempts"):
        quick(f"{served.url}/c", timeout=0.2).read_bytes("STATUS")
    assert time.monotonic() - started < 4.0


def test_http_timeout_then_success_reads_the_file(served: Server) -> None:
    served.faults["/c/STATUS"] = ["slow"]
    assert quick(f"{served.url}/c", timeout=0.2).read_bytes("STATUS") == b"FINISHED\n"


def test_http_404_is_file_not_found(served: Server) -> None:
    source = quick(f"{served.url}/c")
    with pytest.raises(FileNotFoundError):
        source.read_bytes("compose/metadata/images.json")
    assert not source.exists("compose/metadata/images.json")


def test_http_client_error_is_not_retried(served: Server) -> None:
    served.faults["/c/STATUS"] = [403, 403]
    with pytest.raises(FetchError, match="HTTP 403"):
        quick(f"{served.url}/c").read_bytes("STATUS")
    assert served.faults["/c/STATUS"] == [403]


def test_http_missing_file_is_a_located_error_naming_the_url(served: Server) -> None:
    served.faults["/c/compose/metadata/rpms.json"] = [404, 404]
    url = f"{served.url}/c"
    error = refusal(url, source=quick(url))
    assert (error.file, error.message) == (f"{url}/compose/metadata/rpms.json", "does not exist")


def test_http_without_head_support_falls_back_to_get(served: Server) -> None:
    served.faults["/c/STATUS"] = [501]
    assert quick(f"{served.url}/c").exists("STATUS")


def test_open_source_picks_http_for_urls_and_a_directory_for_paths(tmp_path: Path) -> None:
    assert open_source("https://composes.example.org/c").is_remote
    assert not open_source(str(tmp_path)).is_remote


def test_compose_top_of_a_local_compose_directory_is_its_parent(tmp_path: Path) -> None:
    make(tmp_path, BASH)
    top = compose_top(open_source(str(tmp_path / "compose")))
    assert top.exists("STATUS") and top.describe("STATUS") == "STATUS"
