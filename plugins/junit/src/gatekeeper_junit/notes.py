"""What a result element says went wrong, in one line for a result's note.

The ``message`` attribute when there is one (pytest, Surefire, tmt); else the text's own
summary: the exception line of a Python traceback (stestr and subunit2junitxml write no
message, a ``type`` that is testtools' ``_StringException`` wrapper, and the traceback as
the text, the exception and its message on its last line; a message ending in ``:``, as
testtools' ``MismatchError: !=:``, goes on with the next lines), else its first line, after
the ``type`` when the text does not already start with it; else the ``type``.
"""

from __future__ import annotations

import re

_FRAME = re.compile(r'^(\s*)File ".*", line \d+')


def summary(message: str | None, kind: str | None, text: str | None) -> str:
    """One line: see the module's doc."""
    for line in (message or "").splitlines():
        if line.strip():
            return line.strip()
    kind = (kind or "").strip()
    lines = [line for line in (text or "").splitlines() if line.strip()]
    raised = _raised(lines)
    if raised:
        return raised
    first = lines[0].strip() if lines else ""
    if kind and first and not first.startswith((kind, kind.rsplit(".", 1)[-1])):
        return f"{kind}: {first}"
    return first or kind


def _raised(lines: list[str]) -> str | None:
    """The exception line of the last Python traceback in ``lines``: the first line after
    its last ``File "...", line N`` frame that is not indented below that frame."""
    last = None
    for index, line in enumerate(lines):
        if frame := _FRAME.match(line):
            last = index, len(frame.group(1))
    if last is None:
        return None
    index, indent = last
    for at, line in enumerate(lines[index + 1 :], start=index + 1):
        if len(line) - len(line.lstrip()) <= indent:
            raised = line.strip()
            if raised.endswith(":"):  # testtools' "MismatchError: !=:", its values below
                raised = " ".join(
                    [raised, *(" ".join(more.split()) for more in lines[at + 1 : at + 4])]
                )
            return raised
    return None
