"""The tmt side: ``tmt run ... report --how gatekeeper`` sends a plan's results to gatekeeper.

Registered through tmt's own entry-point group ``tmt.plugin`` (tmt imports every module
named there when it starts). This module imports nothing of gatekeeper at import time:
a broken gatekeeper install must never stop tmt itself.

Two paths: with ``--url http(s)://...`` each plan's results are sent to the gatekeeper
service's HTTP API with the bearer token of ``--token``, else of ``$GATEKEEPER_TOKEN``
(``--token-env`` names another variable; see :mod:`gatekeeper_tmt.http`). What tmt saves of
the step (``report/step.yaml``, the run's ``recipe.yaml``) leaves the token out; tmt's own
``log.txt`` records its command line. With ``--url`` empty or ``file://PATH``, they go
straight into the store of the gatekeeper configured at PATH (see
:func:`gatekeeper_tmt.direct.settings_for`), for a gatekeeper on the same machine.
"""

import os
from typing import Any

import tmt.log
import tmt.steps
import tmt.steps.report
import tmt.utils
from tmt.container import container, field  # type: ignore[attr-defined]

DEFAULT_TOKEN_ENV = "GATEKEEPER_TOKEN"


@container
class ReportGatekeeperData(tmt.steps.report.ReportStepData):
    url: str | None = field(
        default=None,
        option="--url",
        metavar="URL",
        help="""
            The gatekeeper to report to: its HTTP API (``https://gatekeeper.example.org``,
            token in $GATEKEEPER_TOKEN), or, empty or ``file://PATH``, straight into the
            store of the gatekeeper whose working directory (or gatekeeper.toml) is PATH.
            """,
    )
    compose: str | None = field(
        default=None,
        option="--compose",
        metavar="ID",
        help="The compose the run tested (required).",
    )
    namespace: str | None = field(
        default=None,
        option="--namespace",
        metavar="NS",
        help="Testcase prefix: NS and test /tests/pass give the testcase NS.tests.pass.",
    )
    arch: str | None = field(
        default=None,
        option="--arch",
        metavar="ARCH",
        help="Arch of results whose guest's facts tmt did not record.",
    )
    log_url: str | None = field(
        default=None,
        option="--log-url",
        metavar="TEMPLATE",
        help="ref_url template of each result, e.g. https://ci.example.org/{run}/{log}.",
    )
    reporter: str | None = field(
        default=None,
        option="--reporter",
        metavar="NAME",
        help="Direct path only: report as this identity (default: the local operator); "
        "over HTTP the token says who reports.",
    )
    token: str | None = field(
        default=None,
        option="--token",
        metavar="TOKEN",
        help="The API token (HTTP path); default: the one in $GATEKEEPER_TOKEN "
        "(see --token-env). Left out of the step data tmt saves, but tmt's log.txt records "
        "its command line: where the run directory is kept, use the variable.",
        serialize=lambda token: None,  # tmt saves step data in the run directory
    )
    token_env: str = field(
        default=DEFAULT_TOKEN_ENV,
        option="--token-env",
        metavar="VAR",
        help="Environment variable holding the API token when --token is not given (HTTP path).",
    )

    # The token stays out of what tmt saves of the step: report/step.yaml (serialize
    # above) and the run's recipe.yaml (these two). tmt's log.txt records the command line.
    def to_spec(self) -> Any:
        return {k: v for k, v in super().to_spec().items() if k != "token"}

    def to_minimal_spec(self) -> Any:
        return {k: v for k, v in super().to_minimal_spec().items() if k != "token"}


@tmt.steps.provides_method("gatekeeper")
class ReportGatekeeper(tmt.steps.report.ReportPlugin[ReportGatekeeperData]):
    """
    Send the plan's results to gatekeeper, the Compose Gate.

    Each plan is one upload: all of its results are stored, or none (a testcase the
    reporting identity's team does not own refuses the whole upload).

    .. code-block:: shell

        tmt run --all provision --how local \\
            report --how gatekeeper --url file:///srv/gatekeeper \\
                   --compose CentOS-Stream-9-20261124.0 --namespace t_functional

    A finished run's report step is done: tmt skips it unless told ``--force``, so
    report a finished run (again) with
    ``tmt run --id RUN report --how gatekeeper --force ...``.
    """

    _data_class = ReportGatekeeperData

    def go(self, *, logger: tmt.log.Logger | None = None) -> None:
        super().go(logger=logger)
        if self.is_dry_run:
            return
        data = self.data
        if not data.compose:
            raise tmt.utils.ReportError("report --how gatekeeper needs --compose ID.")
        url = data.url or ""
        http = url.startswith(("http://", "https://"))
        if url and not http and not url.startswith("file://"):
            raise tmt.utils.ReportError(
                f"--url {url}: expected http(s):// (the service) or file:// (a local store)"
            )
        try:
            from gatekeeper.errors import GatekeeperError
            from gatekeeper_tmt.direct import report_plan
            from gatekeeper_tmt.http import post_plan
        except ImportError as exc:  # pragma: no cover - a broken install
            raise tmt.utils.ReportError(
                f"gatekeeper is not importable ({exc}): pip install gatekeeper-tmt"
            ) from exc
        plan = self.step.plan
        if plan.workdir is None:  # pragma: no cover - a plan that ran has one
            raise tmt.utils.ReportError(f"plan {plan.name} has no work directory to report")
        refused: GatekeeperError | None = None
        try:
            if http:
                line = post_plan(
                    plan.workdir,
                    plan.name,
                    run=self.run_workdir.name,
                    url=url,
                    token=data.token or os.environ.get(data.token_env),
                    token_env=data.token_env,
                    compose=data.compose,
                    namespace=data.namespace,
                    arch=data.arch,
                    log_url=data.log_url,
                )
            else:
                line = report_plan(
                    plan.workdir,
                    plan.name,
                    run=self.run_workdir.name,
                    url=url,
                    compose=data.compose,
                    namespace=data.namespace,
                    arch=data.arch,
                    log_url=data.log_url,
                    reporter=data.reporter,
                )
        except GatekeeperError as exc:
            refused = exc
        if refused is not None:  # raised here, so that tmt does not show it twice as a cause
            raise tmt.utils.ReportError(f"gatekeeper refused the report: {refused}")
        self.info("gatekeeper", line, "green")
