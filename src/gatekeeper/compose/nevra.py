"""RPM NEVRAs: ``name-[epoch:]version-release.arch``, as productmd writes them.

productmd always writes the epoch (``bash-0:5.1.8-9.el9.x86_64``); older files and
humans leave a zero epoch out (``bash-5.1.8-9.el9.x86_64``). Both parse here, to
the same :class:`Nevra`.
"""

from __future__ import annotations

import re
from typing import NamedTuple, NoReturn

# An arch never holds '-', ':' or '.'.
_ARCH = re.compile(r"[A-Za-z0-9_]+")
_EPOCH = re.compile(r"[0-9]+")
_FORBIDDEN = re.compile(r"[\s/:]")
# The whole grammar at once, for the common case; the checks below only explain a failure.
_NEVRA = re.compile(
    r"(?P<name>[^\s/:]+)-(?:(?P<epoch>[0-9]+):)?(?P<version>[^\s/:-]+)"
    r"-(?P<release>[^\s/:-]+)\.(?P<arch>[A-Za-z0-9_]+)"
)


class Nevra(NamedTuple):
    """One parsed NEVRA. ``epoch`` is 0 when the text had none."""

    name: str
    epoch: int
    version: str
    release: str
    arch: str

    @property
    def evr(self) -> str:
        """``[epoch:]version-release``, the epoch left out when it is 0 (as rpm prints it)."""
        return format_evr(self.epoch, self.version, self.release)

    @property
    def nvr(self) -> str:
        return f"{self.name}-{self.version}-{self.release}"

    def __str__(self) -> str:
        """productmd's spelling: always with the epoch, ``name-E:V-R.A``."""
        return f"{self.name}-{self.epoch}:{self.version}-{self.release}.{self.arch}"


def format_evr(epoch: int, version: str, release: str) -> str:
    """``[epoch:]version-release``: ``format_evr(2, "1.0", "3.el9") == "2:1.0-3.el9"``."""
    prefix = f"{epoch}:" if epoch else ""
    return f"{prefix}{version}-{release}"


def parse_nevra(text: str) -> Nevra:
    """Parse ``name-epoch:version-release.arch`` or ``name-version-release.arch`` (epoch 0).

    Names may contain dashes (``python3-dnf-plugins-core-0:4.3.0-13.el9.noarch``): the
    version and release are the last two dash-separated fields. Raises :class:`ValueError`
    saying which part is wrong. Like productmd's own parser it cannot tell a missing arch
    from a dotted release: ``bash-5.1-9.el9`` reads as release ``9``, arch ``el9``.
    """
    return Nevra(*split_nevra(text))


def split_nevra(text: str) -> tuple[str, int, str, str, str]:
    """:func:`parse_nevra` as a plain tuple: the fast path for readers of large files."""
    match = _NEVRA.fullmatch(text) if isinstance(text, str) else None
    if match is None:
        _explain(text)
    name, epoch, version, release, arch = match.groups()
    return name, int(epoch) if epoch else 0, version, release, arch


def _explain(text: object) -> NoReturn:
    """Raise the ValueError that says why ``text`` is not a NEVRA."""
    if not isinstance(text, str):
        raise ValueError(f"{text!r} is not a NEVRA: expected a string")
    rest, dot, arch = text.rpartition(".")
    if not dot or not _ARCH.fullmatch(arch):
        raise ValueError(
            f"{text!r} is not a NEVRA: it does not end in '.<arch>' "
            "(expected name-[epoch:]version-release.arch)"
        )
    parts = rest.rsplit("-", 2)
    if len(parts) != 3 or not all(parts):
        raise ValueError(
            f"{text!r} is not a NEVRA: expected name-[epoch:]version-release.arch, "
            "with non-empty name, version and release"
        )
    name, epoch_version, release = parts
    epoch_text, colon, version = epoch_version.rpartition(":")
    if colon and not _EPOCH.fullmatch(epoch_text):
        raise ValueError(f"{text!r} is not a NEVRA: epoch {epoch_text!r} is not a number")
    if not version:
        raise ValueError(f"{text!r} is not a NEVRA: the version is empty")
    for label, value in (("name", name), ("version", version), ("release", release)):
        bad = _FORBIDDEN.search(value)
        if bad:
            raise ValueError(f"{text!r} is not a NEVRA: the {label} contains {bad.group()!r}")
    raise ValueError(f"{text!r} is not a NEVRA: expected name-[epoch:]version-release.arch")
