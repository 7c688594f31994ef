"""The naming rule: how a JUnit testcase becomes a gatekeeper testcase name.

The rule is a :meth:`str.format` template over these fields:

``namespace``  the ``--namespace`` given (a ``.`` is added unless it ends with one)
``classname``  the testcase's ``classname`` attribute
``name``       the testcase's ``name`` attribute (required)
``suite``      the name of the innermost ``<testsuite>`` holding the testcase
``file``       the base name of the uploaded file

The default is ``{namespace}{classname}.{name}``. An empty field takes one ``.`` with it:
the one right after it, or, when it ends the name, the one right before it. So a testcase
without a classname is named ``{namespace}{name}``, never ``ci..test`` or ``ci.test.``.

tmt's JUnit reports (``tmt run ... report --how junit``) name suites and testcases by fmf
names (``/plans/smoke``, ``/tests/pass``) and write no classname. Their fields are read as
the tmt plugin reads a run (:func:`tmt_role`, :func:`tmt_fields`): ``/`` as ``.``, the test
never doubled, so ``/tests/pass`` is ``ci.tests.pass`` in either flavour.
"""

from __future__ import annotations

import functools
import string
from collections.abc import Mapping

DEFAULT_NAME_FORMAT = "{namespace}{classname}.{name}"
FIELDS = ("namespace", "classname", "name", "suite", "file")


def check_format(fmt: str) -> None:
    """Raise ValueError saying what is wrong with a naming template."""
    try:
        pieces = list(string.Formatter().parse(fmt))
    except ValueError as exc:
        raise ValueError(f"{fmt!r} is not a valid template: {exc}") from None
    used = set()
    for _, field, spec, conversion in pieces:
        if field is None:
            continue
        if field not in FIELDS:
            raise ValueError(f"{fmt!r} uses an unknown field {{{field}}}; use {', '.join(FIELDS)}")
        if spec or conversion:
            raise ValueError(f"{fmt!r}: fields take no format spec or conversion")
        used.add(field)
    if "name" not in used:
        raise ValueError(f"{fmt!r} must use {{name}}, or every testcase would be named alike")


def fmf_dotted(name: str) -> str:
    """``/tests/pass`` -> ``tests.pass``: an fmf name read as the tmt plugin reads it."""
    return ".".join(part for part in name.split("/") if part)


def tmt_role(suite: str, classname: str | None, name: str | None) -> str | None:
    """How tmt's JUnit report uses a suite, told from its name and its first testcase's
    ``classname`` and ``name``: ``"plan"`` (the default flavour: a suite per plan, named
    after it), ``"test"`` (the ``subresults`` flavour: a suite per test, named after it,
    holding the test itself first, then its subresults), or None: not tmt's (tmt names
    both by fmf names, which start with ``/``, and writes no classname)."""
    name = (name or "").strip()
    if (classname or "").strip() or not name.startswith("/") or not suite.startswith("/"):
        return None
    if not fmf_dotted(suite) or not fmf_dotted(name):
        return None
    return "test" if name == suite else "plan"


def tmt_fields(name: str, suite: str, role: str) -> dict[str, str]:
    """The naming fields of a testcase in a tmt suite: ``name`` and ``suite`` read as fmf
    names, and ``classname`` the test a subresult belongs to (empty for a test itself)."""
    owner = fmf_dotted(suite) if role == "test" and name != suite else ""
    return {"name": fmf_dotted(name), "classname": owner, "suite": fmf_dotted(suite)}


def namespace_prefix(namespace: str) -> str:
    """``ci`` and ``ci.`` both give the prefix ``ci.``."""
    namespace = namespace.strip()
    return namespace if not namespace or namespace.endswith(".") else namespace + "."


@functools.lru_cache(maxsize=64)
def _pieces(fmt: str) -> tuple[tuple[str, str | None], ...]:
    """The template's (literal, field) pieces, parsed once per template."""
    return tuple((literal, field) for literal, field, _, _ in string.Formatter().parse(fmt))


def render(fmt: str, fields: Mapping[str, str]) -> str:
    """Fill the template; an empty field takes one adjacent ``.`` with it (see module doc)."""
    out = ""
    drop_dot = False
    for literal, field in _pieces(fmt):
        if drop_dot and literal.startswith("."):
            literal = literal[1:]
        drop_dot = False
        out += literal
        if field is None:
            continue
        value = fields.get(field) or ""
        if value:
            out += value
        else:
            drop_dot = True
    if drop_dot and out.endswith("."):
        out = out[:-1]
    return out.strip()
