"""How cancellation requests hear of Outlook's cancellations (syncconnections.signals)."""

from __future__ import annotations

from typing import Any

from django.dispatch import receiver

from cancellations.opening import open_request
from syncconnections import signals


@receiver(signals.outlook_cancellation, dispatch_uid="cancellations.open")
def ask_a_person(sender: object, **kwargs: Any) -> bool:
    return open_request(
        kwargs["reservation"], kwargs["connection"], kwargs["event_id"], kwargs["outlook_data"]
    )
