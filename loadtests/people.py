"""Who a simulated attendee pretends to be: a name, a country, an organisation."""

from __future__ import annotations

import random
from typing import Any

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
