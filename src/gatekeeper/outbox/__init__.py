"""Side effects after commit: the hook calls and jobs a committed transaction owes.

A transaction that changes something a plugin must hear about (a decision, a promotion,
a merge request) writes the call to the store's outbox *in that transaction*
(:class:`Owed`), so the call is owed if and only if the change was committed. The
:class:`Dispatcher` sends what is owed, exactly once across processes; what it cannot send
now (a plugin failed, the process died) stays in the outbox for a later round.

- :mod:`~gatekeeper.outbox.codec`: a hook call's arguments as an outbox payload, and back;
- :mod:`~gatekeeper.outbox.dispatcher`: claims, sends, retries with backoff, and gives up
  what can never succeed (dead letters, the rule in its docstring). It calls the handler
  registered for an entry's kind (the service registers its own, ``redecide``, and one for
  plugin hooks), so nothing here knows the service.
"""

from __future__ import annotations

from gatekeeper.outbox.codec import decode_arguments, encode_arguments
from gatekeeper.outbox.dispatcher import (
    MAX_ATTEMPTS,
    Dispatcher,
    Handler,
    Owed,
    Undeliverable,
    backoff,
    is_permanent,
)

__all__ = [
    "MAX_ATTEMPTS",
    "Dispatcher",
    "Handler",
    "Owed",
    "Undeliverable",
    "backoff",
    "decode_arguments",
    "encode_arguments",
    "is_permanent",
]
