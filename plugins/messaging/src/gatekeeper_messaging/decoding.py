"""Reading a delivery into a message, whatever the delivery holds.

fedora-messaging reads each delivery before it calls the consumer: its read loop
(``fedora_messaging.twisted.consumer``) calls ``fedora_messaging.message.get_message``, which
decodes the bytes, parses the JSON, picks the class the schema header names and validates the
message. The errors it expects there become ``ValidationError``, and the loop drops that
message (``basic_nack``, not requeued). Any other error escapes the loop: the consumer stops,
the message stays unacknowledged, the broker gives it to the next consumer, and that one
stops too. A body nested deeper than Python's recursion limit (``RecursionError`` from the
JSON parser), an unknown content encoding (``LookupError``) and a schema header that is not a
name (``TypeError``) all did that.

:func:`guard` makes the read loop call :func:`read_message`: the same reading, every error
turned into ``ValidationError``, with the consumer's one log line saying why
(``action=decode outcome=dropped reason=...``), for the drops fedora-messaging makes itself
too. fedora-messaging's consumer offers no setting for this: the message is built before any
code of the consumer runs, from a class the publisher's header chooses, so neither a callback
nor a message class can catch it.

The headers are read earlier still, by pika, as the frame arrives: a header table nested
deeper than Python's recursion limit, or a value pika cannot turn into Python (a timestamp
no clock holds), raised in the connection itself, and fedora-messaging stopped the consumer
for it. :func:`guard` also makes pika read every field table through :func:`_table`: a table
whose values nest more than :data:`HEADER_DEPTH` tables or arrays deep, or that pika cannot
decode, is skipped whole (its length is known before it is read) and stands as
:class:`UnreadableHeaders`; :func:`read_message` drops that message with the reason.
"""

from __future__ import annotations

import importlib
import struct
import threading
from collections.abc import Callable
from typing import Any

from fedora_messaging.exceptions import ValidationError
from fedora_messaging.message import Message, get_message

from gatekeeper_messaging.logline import kv, log, reason

_READ_LOOP = "fedora_messaging.twisted.consumer"
#: How many tables or arrays a header value may nest (fedora-messaging's headers nest none).
HEADER_DEPTH = 32

Decode = Callable[[bytes, int], tuple[Any, int]]


class UnreadableHeaders(dict[str, Any]):
    """The headers of a delivery pika could not read: empty, with the reason."""

    def __init__(self, why: str) -> None:
        super().__init__()
        self.reason = why


class _TooDeep(Exception):
    pass


_reading = threading.local()  # .depth: how deep in a field table pika is, None outside one


def _table(decode_table: Decode) -> Decode:
    """pika's ``decode_table``: a table it cannot read is skipped, as :class:`UnreadableHeaders`."""

    def table(encoded: bytes, offset: int) -> tuple[Any, int]:
        if getattr(_reading, "depth", None) is not None:  # a table in a table: counted by _value
            return decode_table(encoded, offset)
        size = struct.unpack_from(">I", encoded, offset)[0]
        _reading.depth = 0
        try:
            return decode_table(encoded, offset)
        except _TooDeep as exc:
            return UnreadableHeaders(str(exc)), offset + 4 + size
        except Exception as exc:  # a value no Python type holds: whatever pika raised
            return UnreadableHeaders(reason(exc)), offset + 4 + size
        finally:
            _reading.depth = None

    table.gatekeeper_guard = True  # type: ignore[attr-defined]
    return table


def _value(decode_value: Decode) -> Decode:
    """pika's ``decode_value``, refusing values nested more than :data:`HEADER_DEPTH` deep."""

    def value(encoded: bytes, offset: int) -> tuple[Any, int]:
        depth = getattr(_reading, "depth", None)
        if depth is None:
            return decode_value(encoded, offset)
        if depth >= HEADER_DEPTH:
            raise _TooDeep(f"a header nests more than {HEADER_DEPTH} tables or arrays deep")
        _reading.depth = depth + 1
        try:
            return decode_value(encoded, offset)
        finally:
            _reading.depth = depth

    value.gatekeeper_guard = True  # type: ignore[attr-defined]
    return value


def _dropped(routing_key: str, properties: Any, why: str) -> None:
    line = kv(topic=routing_key, id=getattr(properties, "message_id", None),
              action="decode", outcome="dropped", reason=why)  # fmt: skip
    log.warning("message %s", line)


def _invalid(exc: ValidationError) -> str:
    """What fedora-messaging found invalid, in one line (a JSON Schema error's message, not
    its text, which prints the whole body)."""
    cause = exc.args[0] if exc.args else exc
    message = getattr(cause, "message", None)
    if isinstance(message, str):
        return f"invalid message: {message.splitlines()[0] if message else type(cause).__name__}"
    return f"invalid message: {reason(cause)}"


def read_message(routing_key: str, properties: Any, body: bytes) -> Message:
    """``get_message``, raising ``ValidationError`` for any failure to read the delivery."""
    headers = getattr(properties, "headers", None)
    if isinstance(headers, UnreadableHeaders):
        why = f"unreadable headers: {headers.reason}"
        _dropped(routing_key, properties, why)
        raise ValidationError(why)
    try:
        return get_message(routing_key, properties, body)
    except ValidationError as exc:  # fedora-messaging logs these too, and drops the message
        _dropped(routing_key, properties, _invalid(exc))
        raise
    except Exception as exc:
        why = f"unreadable message: {reason(exc)}"
        _dropped(routing_key, properties, why)
        raise ValidationError(why) from None


def _guard_headers() -> None:
    """Make pika read field tables with :func:`_table` and :func:`_value` (idempotent)."""
    from pika import data

    if not getattr(data.decode_table, "gatekeeper_guard", False):
        data.decode_table = _table(data.decode_table)
    if not getattr(data.decode_value, "gatekeeper_guard", False):
        data.decode_value = _value(data.decode_value)


def guard() -> bool:
    """Make fedora-messaging's read loop read deliveries with :func:`read_message`, and pika
    read headers with a depth limit (idempotent). ``False`` when this fedora-messaging reads
    them some other way: the caller says so at start-up."""
    try:
        loop: Any = importlib.import_module(_READ_LOOP)
    except ImportError:  # pragma: no cover - fedora-messaging without its twisted consumer
        return False
    _guard_headers()
    if getattr(loop, "get_message", None) not in (get_message, read_message):
        return False
    loop.get_message = read_message
    return True
