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
(``action=decode outcome=dropped reason=...``). fedora-messaging's consumer offers no
setting for this: the message is built before any code of the consumer runs, from a class
the publisher's header chooses, so neither a callback nor a message class can catch it.
"""

from __future__ import annotations

from typing import Any

from fedora_messaging.exceptions import ValidationError
from fedora_messaging.message import Message, get_message

from gatekeeper_messaging.logline import kv, log, reason

_READ_LOOP = "fedora_messaging.twisted.consumer"


def read_message(routing_key: str, properties: Any, body: bytes) -> Message:
    """``get_message``, raising ``ValidationError`` for any failure to read the delivery."""
    try:
        return get_message(routing_key, properties, body)
    except ValidationError:  # fedora-messaging logs these and drops the message itself
        raise
    except Exception as exc:
        why = f"unreadable message: {reason(exc)}"
        line = kv(topic=routing_key, id=getattr(properties, "message_id", None),
                  action="decode", outcome="dropped", reason=why)  # fmt: skip
        log.warning("message %s", line)
        raise ValidationError(why) from None


def guard() -> bool:
    """Make fedora-messaging's read loop read deliveries with :func:`read_message`
    (idempotent). ``False`` when this fedora-messaging reads them some other way: the caller
    says so at start-up."""
    import importlib

    try:
        loop: Any = importlib.import_module(_READ_LOOP)
    except ImportError:  # pragma: no cover - fedora-messaging without its twisted consumer
        return False
    if getattr(loop, "get_message", None) not in (get_message, read_message):
        return False
    loop.get_message = read_message
    return True
