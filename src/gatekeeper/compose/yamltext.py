"""YAML written by hand: the scalars of the Compose Repo's files and of lockfiles.

One double-quoted writer (:func:`quoted`) and the plain forms each kind of file allows:

- :func:`scalar`, the Compose Repo's: plain only when no YAML 1.1 or 1.2 reader could take
  the text for anything but that string (a letter first, then name characters, and not a
  bool or null word), so ``"5.1.8"``, ``"1.0"``, ``"on"`` and ``"20261125"`` stay quoted and
  a re-render never changes a file's bytes;
- :func:`loose_scalar`, the lockfiles': also plain whatever PyYAML (the reader the image
  tools use) resolves back to this very string, as those tools' own output is;
- :func:`url_scalar`: a URL (it has ``://``, so no resolver reads it as anything else).
"""

from __future__ import annotations

import re
from functools import lru_cache

import yaml

# YAML 1.1 bools and nulls, compared lowercased: quoting more than needed is harmless.
RESERVED = frozenset({"y", "n", "yes", "no", "true", "false", "on", "off", "null"})
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_.+~^-]*")
_LOOSE = re.compile(r"[A-Za-z0-9_/][A-Za-z0-9_./:+~^%=,@-]*")
_STR = "tag:yaml.org,2002:str"
_RESOLVER = yaml.resolver.Resolver()
# Everything a double-quoted scalar must escape: the quote and backslash, C0/C1 controls,
# DEL, the characters YAML reads as line breaks (NEL, LS, PS), surrogates, BOM and non-characters.
_ESCAPE = re.compile('[\x00-\x1f"\\\\\x7f-\x9f\u2028\u2029\ud800-\udfff\ufeff\ufffe\uffff]')
_SHORT_ESCAPES = {
    "\b": "\\b",
    "\t": "\\t",
    "\n": "\\n",
    "\f": "\\f",
    "\r": "\\r",
    '"': '\\"',
    "\\": "\\\\",
}


def _escape_char(match: re.Match[str]) -> str:
    char = match.group()
    short = _SHORT_ESCAPES.get(char)
    if short is not None:
        return short
    return f"\\u{ord(char):04x}"


def quoted(text: str) -> str:
    """``text`` double-quoted, with JSON-style escapes for everything YAML would not keep."""
    return '"' + _ESCAPE.sub(_escape_char, text) + '"'


@lru_cache(maxsize=65536)
def scalar(text: str) -> str:
    """A string as a YAML scalar that every YAML reader loads back as exactly ``text``."""
    if _NAME.fullmatch(text) and text.lower() not in RESERVED:
        return text
    return quoted(text)


@lru_cache(maxsize=65536)
def loose_scalar(text: str) -> str:
    """``text`` as a YAML scalar that PyYAML reads back as this very string: plain when
    that is safe, else double-quoted."""
    if _NAME.fullmatch(text) and text.lower() not in RESERVED:
        return text
    plain = _LOOSE.fullmatch(text) and ": " not in text and not text.endswith(":")
    if plain and _RESOLVER.resolve(yaml.ScalarNode, text, (True, False)) == _STR:  # type: ignore[no-untyped-call]
        return text
    return quoted(text)


def url_scalar(url: str) -> str:
    """A URL as a YAML scalar (a URL has ``://``: no YAML resolver reads it as non-string)."""
    return url if _LOOSE.fullmatch(url) and "://" in url else quoted(url)
