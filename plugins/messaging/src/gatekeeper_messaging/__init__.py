"""gatekeeper-messaging: gatekeeper on the Fedora message bus (fedora-messaging, RabbitMQ).

- :mod:`gatekeeper_messaging.schemas`: the messages gatekeeper publishes (``fedora.messages``);
- :mod:`gatekeeper_messaging.plugin`: the hooks that publish them (``[messaging]``);
- :mod:`gatekeeper_messaging.consumer`: the consumer of composes and results
  (``fedora-messaging consume --callback gatekeeper_messaging.consumer:Consumer``).
"""

from __future__ import annotations

from gatekeeper_messaging.settings import ConsumerSettings, MessagingSettings

__all__ = ["ConsumerSettings", "MessagingSettings"]
