"""The tmt report plugin's direct path: one plan's results into a local gatekeeper's store.

Used until gatekeeper's HTTP API exists. It goes through ``Gatekeeper.ingest`` exactly as
``gatekeeper report tmt`` does: ownership is enforced, the upload is one transaction.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import unquote, urlparse
from urllib.request import url2pathname

from gatekeeper.config import Settings, load_settings
from gatekeeper.errors import ConfigError, InputError
from gatekeeper.service import Actor, Gatekeeper
from gatekeeper_tmt.run import Options, read_plan


def settings_for(url: str) -> Settings:
    """The configuration a ``--url`` names.

    Empty: gatekeeper's own (``GATEKEEPER_CONFIG``, else ``./gatekeeper.toml``, else the
    embedded default under ``./var``). ``file://DIR``: as gatekeeper reads it when run in
    DIR. ``file://FILE``: that gatekeeper.toml, its relative paths read from its directory.
    Environment overrides (``GATEKEEPER_DATABASE_URL``...) apply as always.
    """
    if not url:
        return load_settings()
    parsed = urlparse(url)
    if parsed.scheme != "file" or parsed.netloc not in ("", "localhost"):
        raise ConfigError(f"expected an empty or file:// URL, got {url!r}", key="url")
    path = Path(url2pathname(unquote(parsed.path)))
    if path.is_dir():
        return load_settings(cwd=path)
    if path.is_file():
        return load_settings(path, cwd=path.parent)
    raise ConfigError("no such gatekeeper directory or configuration file", file=str(path))


def report_plan(
    plan_dir: Path,
    plan: str,
    *,
    run: str,
    url: str,
    compose: str,
    namespace: str | None = None,
    arch: str | None = None,
    log_url: str | None = None,
    reporter: str | None = None,
) -> str:
    """Ingest one plan's results; returns the line to show (as ``gatekeeper report`` does)."""
    app = Gatekeeper(settings_for(url))
    try:
        app.start()
        options = Options(namespace=namespace, arch=arch, log_url=log_url, now=app.clock())
        results = read_plan(plan_dir, plan, compose=compose, run=run, options=options)
        if not results:
            raise InputError(f"plan {plan} holds no test results", file=str(plan_dir))
        actor = app.actor(reporter) if reporter else Actor.local_operator()
        report = app.ingest(results, actor)
    finally:
        app.store.dispose()
    decision = report.decision
    return (
        f"{compose}: {len(report.stored)} stored, {report.duplicates} already known; "
        f"verdict {decision.verdict}: {decision.summary}"
    )
