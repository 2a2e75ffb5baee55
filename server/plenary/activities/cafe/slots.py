"""Where a café's records are in the store: answers of the café activity under a *slot*
each (the store's generic "one answer per attendee" record, used as "one record per
slot"): a check-in per attendee, each earlier round's tables, and each harvest, counted
under its author and round while it is not removed. The names are made here and nowhere
else (docs/redis-keys.md lists them)."""

from __future__ import annotations

CHECKIN = "in:"
ROUND = "r:"
HARVEST = "h:"


def checkin_slot(attendee_id: str) -> str:
    return f"{CHECKIN}{attendee_id}"


def round_slot(number: int) -> str:
    return f"{ROUND}{number}"


def harvest_slot(author: str, harvest_id: str) -> str:
    # Attendee ids hold no ':', so the author ends at the first one after the prefix.
    return f"{HARVEST}{author}:{harvest_id}"


def author_key(author: str, number: int) -> str:
    """The counting key of an author's live harvests in round ``number``: the store
    counts them atomically with each change, so the limit per author reads one count."""
    return f"by:{author}:{number}"
