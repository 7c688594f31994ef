"""Reading untrusted JUnit XML: no DTD, no entities, bounded size and memory, located errors.

JUnit reports never need a document type declaration, so one is refused outright, at the
first callback expat makes for it, before any of its internal subset is read. That refuses,
in one rule, entity expansion ("billion laughs", quadratic blow-up), external entities and
external DTDs (``file:`` or network: expat never fetches anything, and no handler that
could is installed), and parameter entities. Without a DTD, a reference to any entity but
XML's five predefined ones is a well-formedness error.

Memory is bounded by the size cap (checked before a byte is parsed) and by what is kept:
only the elements gatekeeper reads (suites, their properties, testcases and their results)
are built; everything else (``system-out``, ``system-err``, stack traces, unknown elements)
is skipped with its whole subtree, and the text kept for a result element is cut to
:data:`MAX_TEXT` characters: its first and last halves (a traceback's exception is on its
last line). Nesting deeper than :data:`MAX_DEPTH` is refused, and so is a
file with more than :data:`MAX_ELEMENTS` kept elements (a 50 MB file of bare ``<testcase/>``
would otherwise become millions of objects; real reports stay far below it).

The tree is a plain :mod:`xml.etree.ElementTree` one (what junitparser reads), and every
element's line is remembered so that later errors can name it.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from xml.parsers import expat

from gatekeeper.errors import InputError

#: The default size cap of one file: 50 MB (``[junit] max_bytes``).
DEFAULT_MAX_BYTES = 50 * 1024 * 1024
#: Elements nested deeper than this are refused (real reports nest a few levels).
MAX_DEPTH = 256
#: Kept elements (suites, properties, testcases, results) one file may hold.
MAX_ELEMENTS = 200_000
#: Characters of text kept for a result element (``failure``, ``error``, ``skipped``...):
#: of a longer text, its beginning and its end with ``CUT`` between them.
MAX_TEXT = 4096
CUT = "\n...\n"
_HEAD = (MAX_TEXT - len(CUT)) // 2
_TAIL = MAX_TEXT - len(CUT) - _HEAD

#: Elements that are built; any other element is skipped with everything inside it.
KEPT = frozenset(
    {
        "testsuites",
        "testsuite",
        "properties",
        "property",
        "testcase",
        "failure",
        "error",
        "skipped",
        "flakyFailure",
        "flakyError",
        "rerunFailure",
        "rerunError",
    }
)
#: Elements whose text is kept (cut at MAX_TEXT).
WITH_TEXT = frozenset(
    {"failure", "error", "skipped", "flakyFailure", "flakyError", "rerunFailure", "rerunError"}
)


@dataclass
class Document:
    """A parsed file: its root element and the line each kept element starts on."""

    root: ET.Element
    lines: dict[int, int] = field(default_factory=dict)

    def line_of(self, element: ET.Element) -> int | None:
        return self.lines.get(id(element))


class _Refused(Exception):
    """Raised from an expat callback to stop parsing; carries the located message."""

    def __init__(self, message: str, line: int) -> None:
        super().__init__(message)
        self.message = message
        self.line = line


class _Builder:
    """Expat callbacks building the kept part of the tree."""

    def __init__(self, parser: expat.XMLParserType) -> None:
        self.parser = parser
        self.stack: list[ET.Element | None] = []  # None: inside a skipped subtree
        self.root: ET.Element | None = None
        self.lines: dict[int, int] = {}
        self.text: dict[int, list[str]] = {}  # the first half, in pieces
        self.text_size: dict[int, int] = {}  # characters seen
        self.tail: dict[int, str] = {}  # the last half, past the first

    def refuse(self, message: str) -> None:
        raise _Refused(message, self.parser.CurrentLineNumber)

    # -- what a JUnit report never contains ------------------------------------------
    def doctype(self, name: str, sysid: str | None, pubid: str | None, internal: int) -> None:
        where = f" (it names {sysid!r})" if sysid else ""
        self.refuse(
            f"a document type declaration (<!DOCTYPE {name} ...>){where} is not accepted: "
            "JUnit XML needs none, and DTDs carry entity expansion and external entities; "
            "remove it"
        )

    def entity(self, name: str, *_: object) -> None:
        self.refuse(f"an entity declaration ({name}) is not accepted: remove it")

    def external(self, *_: object) -> int:
        self.refuse("an external entity is not accepted: remove it")
        return 0  # pragma: no cover - refuse() raises

    # -- elements --------------------------------------------------------------------
    def start(self, tag: str, attrs: dict[str, str]) -> None:
        if len(self.stack) >= MAX_DEPTH:
            self.refuse(f"elements are nested deeper than {MAX_DEPTH} levels")
        parent = self.stack[-1] if self.stack else None
        if self.stack and (parent is None or tag not in KEPT):
            self.stack.append(None)
            return
        if len(self.lines) >= MAX_ELEMENTS:
            self.refuse(
                f"more than {MAX_ELEMENTS} testsuite, testcase, property and result elements "
                "in one file; split the report into several files of one upload"
            )
        element = ET.Element(tag, attrs) if parent is None else ET.SubElement(parent, tag, attrs)
        self.lines[id(element)] = self.parser.CurrentLineNumber
        if self.root is None:
            self.root = element
        self.stack.append(element)

    def end(self, tag: str) -> None:
        element = self.stack.pop()
        if element is not None and id(element) in self.text:
            key = id(element)
            head, tail = "".join(self.text.pop(key)), self.tail.pop(key, "")
            if self.text_size.pop(key) > MAX_TEXT:
                tail = CUT + tail[-_TAIL:]
            element.text = head + tail

    def data(self, text: str) -> None:
        element = self.stack[-1] if self.stack else None
        if element is None or element.tag not in WITH_TEXT:
            return
        key = id(element)
        used = self.text_size.get(key, 0)
        self.text_size[key] = used + len(text)
        head = text[: max(_HEAD - used, 0)]
        self.text.setdefault(key, []).append(head)
        if len(head) < len(text):  # past the head: keep what may be the end
            self.tail[key] = (self.tail.get(key, "") + text[len(head) :])[_HEAD - MAX_TEXT :]


def check_size(size: int, max_bytes: int, file: str) -> None:
    """Refuse a file over the cap before it is read or parsed."""
    if size > max_bytes:
        raise InputError(
            f"file is {size} bytes, over the {max_bytes}-byte cap of a JUnit upload "
            "([junit] max_bytes in gatekeeper.toml, or --max-bytes); split the report",
            file=file,
        )


def parse_xml(data: bytes, *, file: str, max_bytes: int = DEFAULT_MAX_BYTES) -> Document:
    """Parse untrusted bytes into the kept tree, or raise a located :class:`InputError`."""
    check_size(len(data), max_bytes, file)
    parser = expat.ParserCreate()
    builder = _Builder(parser)
    parser.buffer_text = True
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
    parser.StartDoctypeDeclHandler = builder.doctype
    parser.EntityDeclHandler = builder.entity
    parser.UnparsedEntityDeclHandler = builder.entity
    parser.ExternalEntityRefHandler = builder.external
    parser.StartElementHandler = builder.start
    parser.EndElementHandler = builder.end
    parser.CharacterDataHandler = builder.data
    try:
        parser.Parse(data, True)
    except _Refused as exc:
        raise InputError(exc.message, file=file, line=exc.line) from None
    except expat.ExpatError as exc:
        what = expat.ErrorString(exc.code) if exc.code is not None else str(exc)
        raise InputError(
            f"malformed XML: {what} (column {exc.offset + 1})", file=file, line=exc.lineno
        ) from None
    if builder.root is None:  # pragma: no cover - expat requires a root element
        raise InputError("no root element", file=file)
    return Document(builder.root, builder.lines)
