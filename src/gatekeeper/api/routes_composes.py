"""``/api/v1/composes``: list, show, builds, diff against ``main``, decision and its
history; announce (import) and publish, for admins.

Announcing reads the compose where ``location`` says: a path or ``file://`` URL is read
from the server's own disk (any directory the server may read), an ``http(s)://`` URL is
fetched by the server. That is why only admin identities may announce: the identity is
checked before the location is looked at, so an answer never tells others what exists."""

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request, Response

from gatekeeper.api.auth import actor_dependency, require_admin
from gatekeeper.api.errors import responses
from gatekeeper.api.models import (
    AnnounceIn,
    BuildPage,
    ComposeDetail,
    ComposePage,
    DecisionOut,
    DiffOut,
    HistoryEntry,
    ImportOut,
    PublishOut,
)
from gatekeeper.api.openapi import FCOS_LOCKFILE, RPM_LOCKFILE
from gatekeeper.bounds import check_text
from gatekeeper.compose import RPM_LOCKFILE_NAME
from gatekeeper.compose.diff import BuildChange
from gatekeeper.errors import InputError
from gatekeeper.limits import MAX_URL_CHARS
from gatekeeper.model import Build
from gatekeeper.service import Actor, Gatekeeper
from gatekeeper.service.reads import MAX_LIMIT, MAX_OFFSET, Page


def next_url(request: Request, page: Page[Any]) -> str | None:
    """The URL of the page after ``page`` (None on the last one)."""
    if page.next_offset is None:
        return None
    return str(request.url.include_query_params(limit=page.limit, offset=page.next_offset))


def build_json(build: Build) -> dict[str, Any]:
    return {
        "name": build.name,
        "epoch": build.epoch,
        "version": build.version,
        "release": build.release,
        "nvr": build.nvr,
        "variants": list(build.variants),
        "arches": list(build.arches),
        "rpms": {name: list(arches) for name, arches in build.rpms.items()},
    }


def _changes(changes: tuple[BuildChange, ...]) -> list[dict[str, Any]]:
    return [{"name": c.name, "old": list(c.old), "new": list(c.new), "note": c.note}
            for c in changes]  # fmt: skip


def history_json(row: dict[str, Any]) -> dict[str, Any]:
    """A stored decision version: its columns (``cause`` and any other passed through),
    with the Decision JSON as ``decision``."""
    entry = {k: v for k, v in row.items() if k != "payload"}
    entry.setdefault("cause", None)
    entry["decision"] = row["payload"]
    return entry


def router(app: Gatekeeper) -> APIRouter:
    api = APIRouter(prefix="/api/v1", tags=["composes"], responses=responses(500))
    ActorDep = Annotated[Actor, Depends(actor_dependency(app))]

    @api.get("/composes", response_model=ComposePage, responses=responses(422))
    def list_composes(
        request: Request,
        limit: int = Query(50, ge=1, le=MAX_LIMIT),
        offset: int = Query(0, ge=0, le=MAX_OFFSET),
        state: str | None = None,
        product: str | None = None,
    ) -> dict[str, Any]:
        """Composes, newest first, with their latest verdict."""
        page = app.compose_list(limit=limit, offset=offset, state=state, product=product)
        return {"items": page.items, "next": next_url(request, page)}

    @api.post(
        "/composes",
        response_model=ImportOut,
        status_code=201,
        responses={
            **responses(400, 401, 403, 422, 503),
            200: {"model": ImportOut, "description": "imported already: nothing changed"},
        },
    )
    def announce_compose(body: AnnounceIn, response: Response, actor: ActorDep) -> dict[str, Any]:
        """Import the compose at ``location`` and open its merge request (admins only: a
        path or file:// URL is read from the server's disk). 201 when it is new; importing
        it again changes nothing (200)."""
        require_admin(actor, "announce composes")
        check_text(body.location, MAX_URL_CHARS, "location")  # before any file or URL is named
        report = app.import_compose(body.location, with_debuginfo=body.with_debuginfo)
        if not report.created:
            response.status_code = 200
        return {
            "compose": report.compose.id,
            "created": report.created,
            "builds": report.builds,
            "rpms": report.rpms,
            "proposed": report.proposed,
            "merge_request": dict(report.merge_request),
        }

    @api.get("/composes/{compose_id}", response_model=ComposeDetail, responses=responses(404))
    def show_compose(compose_id: str) -> dict[str, Any]:
        """One compose: its state, latest verdict and merge request."""
        return app.compose_info(compose_id)

    @api.get(
        "/composes/{compose_id}/builds", response_model=BuildPage, responses=responses(404, 422)
    )
    def compose_builds(
        request: Request,
        compose_id: str,
        limit: int = Query(MAX_LIMIT, ge=1, le=MAX_LIMIT),
        offset: int = Query(0, ge=0, le=MAX_OFFSET),
    ) -> dict[str, Any]:
        """The compose's builds (source packages), by name."""
        builds = app.compose_builds(compose_id)
        page = Page(builds[offset : offset + limit], limit, offset, len(builds) > offset + limit)
        return {"items": [build_json(b) for b in page.items], "next": next_url(request, page)}

    @api.get("/composes/{compose_id}/diff", response_model=DiffOut, responses=responses(404))
    def compose_diff(compose_id: str) -> dict[str, Any]:
        """The builds the compose adds, removes and updates against ``main``."""
        base, diff = app.compose_diff(compose_id)
        return {
            "compose": compose_id,
            "base": base,
            "counts": diff.counts,
            "added": _changes(diff.added),
            "removed": _changes(diff.removed),
            "updated": _changes(diff.updated),
        }

    @api.get(
        "/composes/{compose_id}/decision", response_model=DecisionOut, responses=responses(404, 422)
    )
    def compose_decision(compose_id: str) -> dict[str, Any]:
        """The compose's decision now: the stored one while it is still true, else what it
        would be now (a deadline passed that no timer acted on yet). Reading records nothing."""
        return app.decide(compose_id).to_json()

    @api.get(
        "/composes/{compose_id}/decisions",
        response_model=list[HistoryEntry],
        responses=responses(404),
    )
    def compose_history(compose_id: str) -> list[dict[str, Any]]:
        """Every version of the compose's decision, oldest first, with what caused it."""
        return [history_json(row) for row in app.history(compose_id)]

    @api.get(
        "/composes/{compose_id}/lockfile",
        response_class=Response,
        responses={
            200: {
                "description": "the lockfile",
                "content": {
                    "application/yaml": {"schema": RPM_LOCKFILE},
                    "application/json": {"schema": FCOS_LOCKFILE},
                },
            },
            **responses(404, 422, 503),
        },
    )
    def compose_lockfile(
        compose_id: str,
        format: Literal["rpm-lockfile", "fcos"] = Query(
            "rpm-lockfile", description="rpm-lockfile (rpms.lock.yaml) or fcos (one arch)"
        ),
        arch: Annotated[list[str] | None, Query(description="tree arches (fcos: one)")] = None,
        variant: Annotated[list[str] | None, Query(description="variants (default: all)")] = None,
        with_sources: bool = False,
        allow_missing_checksums: bool = False,
    ) -> Response:
        """The compose's binary RPMs pinned as a lockfile, with url, size and sha256 from
        its repodata: ``rpms.lock.yaml``, or one arch's ``manifest-lock.<arch>.json``."""
        arch, variant = arch or [], variant or []
        if format == "fcos" and len(set(arch)) != 1:
            raise InputError("fcos is one file per arch: give exactly one arch=", key="arch")
        files = app.lockfile(
            compose_id,
            format,
            arches=arch,
            variants=variant,
            with_sources=with_sources,
            allow_missing_checksums=allow_missing_checksums,
        )
        name, content = next(iter(files.items()))
        media = "application/yaml" if name == RPM_LOCKFILE_NAME else "application/json"
        disposition = f'inline; filename="{name}"'
        return Response(content, media_type=media, headers={"Content-Disposition": disposition})

    @api.post(
        "/composes/{compose_id}/publish",
        response_model=PublishOut,
        responses=responses(401, 403, 404, 409, 422, 503),
    )
    def publish_compose(
        compose_id: str,
        actor: ActorDep,
        force: bool = Query(
            False, description="publish it even though it was never promoted (its MR says so)"
        ),
    ) -> dict[str, Any]:
        """The compose is on the mirrors: merge its MR into ``main`` (admins only). A compose
        that was never promoted is refused (409) unless ``force=true``; forced, its merge
        request says it was published without promotion, and by whom."""
        require_admin(actor, "publish composes")
        report = app.publish(compose_id, force=force, by=actor.name)
        return {
            "compose": report.compose,
            "main_commit": report.main_commit,
            "superseded": list(report.superseded),
            "rerendered": list(report.rerendered),
            "already": report.already,
        }

    return api
