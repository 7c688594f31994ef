"""WaiverDB's waivers on gatekeeper's store: the use cases behind ``/api/v1.0/waivers/``.

A WaiverDB waiver names a subject (``subject_type``, ``subject_identifier``), a testcase,
maybe a scenario, a product version, ``waived`` (false revokes) and a comment. Gatekeeper
gates composes only, so the subject type must be ``compose`` and the identifier a compose
gatekeeper knows; every waiver goes through :meth:`Gatekeeper.waive` (its authorisation,
its checks, a new decision version). A waiver covers every arch (WaiverDB has none).

The product version is not stored: it is the compose's product (``CentOS-Stream-9`` is
``centos-stream-9``), checked when a request gives one, and reported in every answer.
WaiverDB's older ways to name a subject are taken as WaiverDB takes them: a ``subject``
dict (``{"productmd.compose.id": ID}``, or ``{"type": "compose", "item": ID}``).

Beyond WaiverDB, a waiver may give ``expires`` (Conforma's ``effective_until``) and ``bug``,
checked against the policy's ``waivers:`` rules with the rest of the request.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from gatekeeper.bounds import check_text
from gatekeeper.errors import InputError, NotFound, Unauthorized
from gatekeeper.limits import MAX_NAME_CHARS
from gatekeeper.model import Compose, Waiver
from gatekeeper.service.context import Context
from gatekeeper.service.triage import waiver_terms
from gatekeeper.store.waiverdb import WaiverFilter

if TYPE_CHECKING:
    from gatekeeper.service import Actor, Gatekeeper

SUBJECT_TYPE = "compose"


@dataclass(frozen=True, slots=True)
class WaiverRequest:
    """One waiver as a WaiverDB client posts it (``result_id`` is not supported)."""

    testcase: str | None
    comment: str
    subject_type: str | None = None
    subject_identifier: str | None = None
    subject: Mapping[str, Any] | None = None
    result_id: int | None = None
    scenario: str | None = None
    waived: bool = True
    product_version: str | None = None
    username: str | None = None
    expires: str | None = None  # gatekeeper's: a duration (3d) or a time
    effective_until: str | None = None  # Conforma's name for expires
    bug: str | None = None  # gatekeeper's: the URL of the bug tracking what it excuses

    @property
    def until(self) -> str | None:
        """``expires``, or Conforma's ``effective_until`` (both given: they must agree)."""
        given = {self.expires, self.effective_until} - {None}
        if len(given) > 1:
            raise InputError("expires and its alias effective_until differ: give one of them",
                             key="effective_until")  # fmt: skip
        return self.expires if self.expires is not None else self.effective_until


@dataclass(frozen=True, slots=True)
class CompatWaiver:
    """A stored waiver and the product version WaiverDB reports with it."""

    waiver: Waiver
    product_version: str


def version_of(product: str) -> str:
    """The product version of a compose's product, as Greenwave and WaiverDB spell it."""
    return product.lower()


def subject_of(request: WaiverRequest) -> tuple[str, str]:
    """The (type, identifier) the request names, WaiverDB's older ``subject`` dict included."""
    if request.result_id is not None:
        raise InputError(
            "a waiver by result_id is not supported: name subject_type, subject_identifier "
            "and testcase",
            key="result_id",
        )
    subject = request.subject
    if subject is not None:
        if request.subject_type is not None or request.subject_identifier is not None:
            raise InputError(
                "subject argument should not be used together with arguments: "
                "subject_identifier, subject_type",
                key="subject",
            )
        compose_id = subject.get("productmd.compose.id")
        if isinstance(compose_id, str):
            return SUBJECT_TYPE, compose_id
        item = subject.get("item")
        if isinstance(item, str):
            kind = subject.get("type")
            return (kind if isinstance(kind, str) else ""), item
        raise InputError(f"Subject type should be non empty string, actual value is: {subject!r}",
                         key="subject")  # fmt: skip
    if request.subject_type is None or request.subject_identifier is None:
        raise InputError(
            "subject must be defined using subject or both subject_type, subject_identifier",
            key="subject_type",
        )
    return request.subject_type, request.subject_identifier


class WaiverDB:
    """The WaiverDB API's use cases: waive (or revoke) many at once, read one, list."""

    def __init__(self, ctx: Context, app: Gatekeeper) -> None:
        self.ctx = ctx
        self.app = app

    def create(self, requests: Sequence[WaiverRequest], actor: Actor) -> list[CompatWaiver]:
        """Check every request, then waive each in turn (one decision version each).

        Nothing is waived when a request is refused: its subject, testcase, product
        version, comment or the actor's rights (``username`` may only be the actor's own:
        gatekeeper has no proxy users)."""
        if not requests:
            raise InputError("expected a waiver, or a non-empty list of waivers")
        checked = [self._check(request, actor) for request in requests]
        made: list[CompatWaiver] = []
        for request, compose, testcase in checked:
            waiver, _decision = self.app.waive(
                compose.id, testcase, actor=actor, comment=request.comment,
                scenario=request.scenario, revoke=not request.waived,
                expires=request.until, bug=request.bug,
            )  # fmt: skip
            made.append(CompatWaiver(waiver, version_of(compose.product)))
        return made

    def _check(self, request: WaiverRequest, actor: Actor) -> tuple[WaiverRequest, Compose, str]:
        if request.username is not None and request.username != actor.name:
            raise Unauthorized(f"user {actor.name} does not have the proxyuser ability")
        if not (actor.is_admin or actor.can_waive):
            raise Unauthorized(f"{actor.name} may not waive")
        kind, identifier = subject_of(request)
        for key, value in (("subject_identifier", identifier), ("testcase", request.testcase),
                           ("product_version", request.product_version)):  # fmt: skip
            check_text(value, MAX_NAME_CHARS, key)
        if kind != SUBJECT_TYPE:
            raise InputError(
                f"gatekeeper gates composes only: subject_type {kind!r} is not 'compose'",
                key="subject_type",
            )
        if request.testcase is None:
            raise InputError("Argument testcase is missing", key="testcase")
        if not request.comment.strip():
            raise InputError("a waiver needs a comment saying why", key="comment")
        try:
            compose = self.app.compose(identifier)
        except NotFound as exc:
            raise InputError(str(exc), key="subject_identifier") from None
        wanted = request.product_version
        if wanted is not None and wanted.lower() != version_of(compose.product):
            raise InputError(
                f"compose {compose.id} is of product version "
                f"{version_of(compose.product)!r}, not {wanted!r}",
                key="product_version",
            )
        if self.app.owner_of(request.testcase) is None:
            raise InputError(f"unknown testcase {request.testcase!r}, owned by no team",
                             key="testcase")  # fmt: skip
        if request.waived:  # the policy's waivers: rules, before any of the list is waived
            waiver_terms(self.ctx, request.testcase, expires=request.until, bug=request.bug,
                         now=self.ctx.clock())  # fmt: skip
        return request, compose, request.testcase

    def get(self, waiver_id: int) -> CompatWaiver:
        """The waiver ``waiver_id`` (NotFound: ``Waiver not found``)."""
        with self.ctx.store.transaction(readonly=True) as tx:
            found = tx.waiver_with_product(waiver_id)
        if found is None:
            raise NotFound("Waiver not found")
        return CompatWaiver(found[0], version_of(found[1]))

    def listing(
        self, *, subject_type: str | None = None, subject_identifier: str | None = None,
        testcase: str | None = None, scenario: str | None = None,
        product_version: str | None = None, username: str | None = None,
        proxied_by: str | None = None, since: datetime | None = None,
        until: datetime | None = None, include_obsolete: bool = False,
        limit: int = 10, offset: int = 0,
    ) -> tuple[list[CompatWaiver], int]:  # fmt: skip
        """One page of the waivers matching every criterion given, newest first, and how
        many match in all. A subject type other than ``compose``, or ``proxied_by``
        (gatekeeper has no proxy users), matches none."""
        if (subject_type is not None and subject_type != SUBJECT_TYPE) or proxied_by is not None:
            return [], 0
        where = WaiverFilter(
            compose_id=subject_identifier, testcase=testcase, scenario=scenario,
            product=product_version, username=username, since=since, until=until,
            include_obsolete=include_obsolete,
        )  # fmt: skip
        with self.ctx.store.transaction(readonly=True) as tx:
            rows, total = tx.waivers_filtered(where, limit=limit, offset=offset)
        return [CompatWaiver(w, version_of(product)) for w, product in rows], total


__all__ = ["CompatWaiver", "WaiverDB", "WaiverRequest", "subject_of", "version_of"]
