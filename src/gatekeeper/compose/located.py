"""Checked lookups in one productmd metadata file's JSON document, with located errors
(``file: key.path: what is wrong``)."""

from __future__ import annotations

import re
from typing import Any

from gatekeeper.errors import InputError

_VERSION = re.compile(r"(\d+)\.(\d+)")


class Located:
    """Located errors and checked lookups in one metadata file's JSON document."""

    def __init__(self, file: str) -> None:
        self.file = file

    def error(self, key: str, message: str) -> InputError:
        return InputError(message, file=self.file, key=key or None)

    def get(self, obj: dict[str, Any], name: str, kind: type, key: str) -> Any:
        path = f"{key}.{name}" if key else name
        if name not in obj:
            raise self.error(path, "is missing")
        value = obj[name]
        if not isinstance(value, kind) or (isinstance(value, bool) and kind is not bool):
            wanted = {dict: "an object", str: "a string", int: "an integer", list: "a list"}
            raise self.error(path, f"expected {wanted[kind]}, found {kind_of(value)}")
        return value

    def header(self, doc: dict[str, Any], expected: str) -> tuple[int, int]:
        """Check ``header`` and return its version; an old header may lack ``type``."""
        header = self.get(doc, "header", dict, "")
        version_text = self.get(header, "version", str, "header")
        match = _VERSION.fullmatch(version_text)
        if not match:
            raise self.error("header.version", f"{version_text!r} is not a version like '1.2'")
        version = (int(match.group(1)), int(match.group(2)))
        if "type" in header or version >= (1, 1):
            found = self.get(header, "type", str, "header")
            if found != expected:
                raise self.error(
                    "header.type", f"is {found!r}, expected {expected!r}: wrong kind of file"
                )
        return version


def kind_of(value: object) -> str:
    """What a JSON value is, for error messages: "an object", "a list", "null"..."""
    names = {dict: "an object", list: "a list", str: "a string", bool: "a boolean"}
    names.update({int: "a number", float: "a number", type(None): "null"})
    return names.get(type(value), type(value).__name__)
