"""fnmatch globs: validation and exact overlap.

Semantics are exactly :func:`fnmatch.fnmatchcase`'s: ``*`` matches any string,
``?`` any one character, ``[...]`` / ``[!...]`` a character class with ranges;
an unclosed ``[`` is a literal ``[``. A pattern is read as a list of tokens,
each ``STAR`` or a set of characters (sorted, disjoint code point ranges).

Two globs overlap when some string matches both. :func:`overlap_example`
decides it exactly by a breadth-first search of the product of the two
patterns' automata (states: a position in each token list) and returns the
shortest such string it finds.
"""

from __future__ import annotations

from collections import deque
from fnmatch import fnmatchcase

MAX_CODE = 0x10FFFF
Ranges = tuple[tuple[int, int], ...]
#: A token: None is ``*``; otherwise the characters this position accepts.
Token = Ranges | None
ANY: Ranges = ((0, MAX_CODE),)
GLOB_CHARS = "*?["
_NICE = "abcdefghijklmnopqrstuvwxyz0123456789._-ABCDEFGHIJKLMNOPQRSTUVWXYZ"


def is_glob(text: str) -> bool:
    return any(c in text for c in GLOB_CHARS)


def tokenize(pattern: str) -> list[Token]:
    tokens: list[Token] = []
    i = 0
    while i < len(pattern):
        c = pattern[i]
        end = _class_end(pattern, i) if c == "[" else None
        if c == "*":
            if not tokens or tokens[-1] is not None:
                tokens.append(None)
        elif c == "?":
            tokens.append(ANY)
        elif end is not None:
            tokens.append(_class_ranges(pattern[i : end + 1]))
            i = end
        else:
            tokens.append(((ord(c), ord(c)),))
        i += 1
    return tokens


def _class_end(pattern: str, start: int) -> int | None:
    """Index of the ``]`` closing the class opened at ``start``, as fnmatch scans it."""
    j = start + 1
    if j < len(pattern) and pattern[j] == "!":
        j += 1
    if j < len(pattern) and pattern[j] == "]":
        j += 1
    while j < len(pattern) and pattern[j] != "]":
        j += 1
    return j if j < len(pattern) else None


def _class_ranges(text: str) -> Ranges:
    """The characters a class (``[...]``) matches.

    Membership can only change at a character of the class or just after one,
    so fnmatch itself is asked once per such interval: exact, fnmatch's quirks
    included, without re-implementing its range rules.
    """
    points = {0}
    for ch in text:
        points.update(code for code in (ord(ch), ord(ch) + 1) if code <= MAX_CODE)
    bounds = sorted(points)
    ranges: list[tuple[int, int]] = []
    for lo, nxt in zip(bounds, [*bounds[1:], MAX_CODE + 1], strict=True):
        if fnmatchcase(chr(lo), text):
            if ranges and ranges[-1][1] == lo - 1:
                ranges[-1] = (ranges[-1][0], nxt - 1)
            else:
                ranges.append((lo, nxt - 1))
    return tuple(ranges)


def _common(a: Ranges, b: Ranges) -> str | None:
    """A character in both sets (a readable one when possible), or None."""
    both: list[tuple[int, int]] = []
    i = j = 0
    while i < len(a) and j < len(b):
        lo, hi = max(a[i][0], b[j][0]), min(a[i][1], b[j][1])
        if lo <= hi:
            both.append((lo, hi))
        if a[i][1] < b[j][1]:
            i += 1
        else:
            j += 1
    for ch in _NICE:
        if any(lo <= ord(ch) <= hi for lo, hi in both):
            return ch
    for lo, hi in both:
        if hi > 0x20:
            return chr(max(lo, 0x21))
    return chr(both[0][0]) if both else None


def overlap_example(a: str, b: str) -> str | None:
    """A shortest-path string matching both globs, or None when none exists."""
    ta, tb = tokenize(a), tokenize(b)
    goal = (len(ta), len(tb))
    parent: dict[tuple[int, int], tuple[tuple[int, int], str] | None] = {(0, 0): None}
    queue = deque([(0, 0)])
    while queue:
        state = queue.popleft()
        if state == goal:
            text: list[str] = []
            step = parent[state]
            while step is not None:
                state, ch = step
                text.append(ch)
                step = parent[state]
            return "".join(reversed(text))
        for nxt, ch in _moves(ta, tb, *state):
            if nxt not in parent:
                parent[nxt] = (state, ch)
                queue.append(nxt)
    return None


def _moves(ta: list[Token], tb: list[Token], i: int, j: int) -> list[tuple[tuple[int, int], str]]:
    """Product-automaton transitions from (i, j): (next state, character consumed)."""
    x = ta[i] if i < len(ta) else ANY
    y = tb[j] if j < len(tb) else ANY
    a_more, b_more = i < len(ta), j < len(tb)
    moves: list[tuple[tuple[int, int], str | None]] = []
    if a_more and x is None:
        moves.append(((i + 1, j), ""))  # a's star matches nothing more
        if b_more and y is not None:
            moves.append(((i, j + 1), _common(y, ANY)))  # a's star eats b's character
    if b_more and y is None:
        moves.append(((i, j + 1), ""))
        if a_more and x is not None:
            moves.append(((i + 1, j), _common(x, ANY)))
    if a_more and b_more and x is not None and y is not None:
        moves.append(((i + 1, j + 1), _common(x, y)))
    return [(state, ch) for state, ch in moves if ch is not None]


def globs_overlap(a: str, b: str) -> bool:
    """True iff some string matches both fnmatch globs."""
    return overlap_example(a, b) is not None


def glob_problem(pattern: str) -> str | None:
    """Why ``pattern`` is not an acceptable glob in a policy, or None.

    Stricter than fnmatch, which reads these mistakes as literal text: an empty
    pattern, an unclosed ``[``, an empty class ``[]`` and a class matching nothing.
    """
    if pattern == "":
        return "empty glob; use '*' to match anything"
    i = 0
    while i < len(pattern):
        if pattern[i] != "[":
            i += 1
            continue
        end = _class_end(pattern, i)
        if end is None:
            rest = pattern[i:]
            if rest.startswith(("[]", "[!]")):
                empty = "[!]" if rest.startswith("[!]") else "[]"
                return (
                    f"empty character class '{empty}' at character {i + 1}; "
                    "write '[[]' or '[]]' to match a literal '[' or ']'"
                )
            return (
                f"unclosed '[' at character {i + 1}; close the class with ']' "
                "or write '[[]' to match a literal '['"
            )
        text = pattern[i : end + 1]
        if not _class_ranges(text):
            return f"character class '{text}' matches no character (is a range reversed?)"
        i = end + 1
    return None
