"""How a simulated attendee answers a live activity, and who it pretends to be.

An answerer turns the activity a client sees (``poll:opened``'s ``poll``, or
``welcome``'s ``activity.poll``) into the event to send and its payload (without the
idempotency ``vote_id``, which the user adds). New activity types register here.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import Any

WORDS = ("curious", "tired", "inspired", "hungry", "focused", "happy", "sceptical", "busy")
SENTENCES = ("More of this, please.", "Loved the demo.", "Too fast for me.", "Great panel!")
FIRST_NAMES = ("Ada", "Grace", "Alan", "Linus", "Margaret", "Edsger", "Barbara", "Ken")
COUNTRIES = ("PT", "DE", "FR", "BR", "NG", "IN", "JP", "US", "KE", "AU")
ORGANISATIONS = ("ACME", "Globex", "Initech", "Umbrella", "Hooli", "Vandelay", None)


def identity(rng: random.Random, index: int) -> dict[str, Any]:
    """A name, country and organisation for attendee number ``index``."""
    body: dict[str, Any] = {
        "name": f"{rng.choice(FIRST_NAMES)} {index}",
        "country": rng.choice(COUNTRIES),
    }
    organisation = rng.choice(ORGANISATIONS)
    if organisation is not None:
        body["organisation"] = organisation
    return body


def poll_choice(poll: dict[str, Any], rng: random.Random) -> Any:
    """A valid answer to ``poll`` (see docs/protocol.md, the poll kinds table)."""
    kind = poll.get("kind")
    option_ids = [option["id"] for option in poll.get("options") or []]
    if kind == "single":
        return rng.choice(option_ids)
    if kind == "multiple":
        return rng.sample(option_ids, rng.randint(1, min(3, len(option_ids))))
    if kind == "rating":
        return rng.randint(1, int(poll.get("scale") or 5))
    if kind == "wordcloud":
        return rng.choice(WORDS)
    if kind == "open_text":
        return rng.choice(SENTENCES)
    raise ValueError(f"no answerer for poll kind {kind!r}")


def counted_keys(choice: Any) -> list[str]:
    """The keys a stored answer is counted under in the results' ``counts``."""
    if isinstance(choice, list):
        return [str(item) for item in choice]
    return [str(choice)]


Answerer = Callable[[dict[str, Any], random.Random], tuple[str, dict[str, Any]]]


def answer_poll(activity: dict[str, Any], rng: random.Random) -> tuple[str, dict[str, Any]]:
    poll = activity["poll"]
    return "poll:vote", {"poll_id": poll["id"], "choice": poll_choice(poll, rng)}


#: activity type -> answerer
ANSWERERS: dict[str, Answerer] = {"poll": answer_poll}
