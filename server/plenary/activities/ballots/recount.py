"""Recounting an export: every award ballot's result recomputed from its anonymised
ballots alone (receipt and choice), compared with the result the server recorded.

``plenary recount EXPORT.json`` calls :func:`recount` on the export's ``"ballots"``
section, prints the differences and exits non-zero when there is any. The export shape
this reads is documented in docs/ballots.md ("Export and recount").
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Mapping
from typing import Any

from plenary.activities.ballots.choices import InvalidChoice, validate_choice
from plenary.activities.ballots.counting import BallotResult, CountError, count

SECTION = "ballots"  # the export document's key for this kind


def recount(export_section: object) -> list[str]:
    """Differences between the recorded and the recomputed results of every ballot in
    ``export_section`` (the list under the export's ``"ballots"`` key; the whole export
    document is accepted too). An empty list means every result checks out."""
    items = export_section
    if isinstance(items, Mapping) and SECTION in items:
        items = items[SECTION]
    if not isinstance(items, list):
        return [f"the export section must be a list of ballots, not {_show(items)}"]
    differences: list[str] = []
    for position, record in enumerate(items):
        differences.extend(recount_ballot(record, position)[1])
    return differences


def recount_ballot(record: object, position: int = 0) -> tuple[BallotResult | None, list[str]]:
    """One exported ballot: its recomputed result (None when it cannot be counted) and
    the differences with what was recorded."""
    if not isinstance(record, Mapping):
        return None, [f"ballot #{position}: not an object but {_show(record)}"]
    ballot_id = record.get("id")
    label = f"ballot {ballot_id}" if isinstance(ballot_id, str) else f"ballot #{position}"
    problems: list[str] = []
    candidates = _candidate_ids(record.get("candidates"))
    cast = record.get("cast")
    if candidates is None:
        return None, [f"{label}: candidates must be a list of {{'id': ...}} objects"]
    if not isinstance(cast, list):
        return None, [f"{label}: cast must be a list of {{'receipt', 'choice'}} objects"]
    max_choices = record.get("max_choices")
    limit = max_choices if type(max_choices) is int else None
    receipts: Counter[str] = Counter()
    choices: list[object] = []
    for entry in cast:
        if not isinstance(entry, Mapping) or not isinstance(entry.get("receipt"), str):
            problems.append(f"{label}: a cast ballot without a receipt: {_show(entry)}")
            continue
        receipt: str = entry["receipt"]
        receipts[receipt] += 1
        try:
            validate_choice(
                record.get("method", ""), candidates, entry.get("choice"), max_choices=limit
            )
        except InvalidChoice as bad:
            problems.append(f"{label}: receipt {receipt}: {bad.message}")
            continue
        except ValueError:
            break  # an unknown method: count() below says so once
        choices.append(entry.get("choice"))
    problems.extend(
        f"{label}: receipt {r} appears {n} times; each voter's last ballot counts once"
        for r, n in receipts.items()
        if n > 1
    )
    try:
        result = count(record.get("method", ""), candidates, choices)
    except CountError as bad:
        return None, [*problems, f"{label}: cannot count: {bad}"]
    return result, problems + _compare(label, ballot_id, record.get("result"), result)


def _candidate_ids(candidates: object) -> list[str] | None:
    if not isinstance(candidates, list):
        return None
    ids: list[str] = []
    for c in candidates:
        cid = c.get("id") if isinstance(c, Mapping) else c
        if not isinstance(cid, str):
            return None
        ids.append(cid)
    return ids


def _compare(label: str, ballot_id: object, recorded: object, result: BallotResult) -> list[str]:
    if recorded is None:
        if result["ballots"]:
            return [f"{label}: {result['ballots']} ballots cast but no recorded result"]
        return []
    if not isinstance(recorded, Mapping):
        return [f"{label}: the recorded result is not an object but {_show(recorded)}"]
    found: list[str] = []
    if recorded.get("ballot_id") != ballot_id:
        found.append(
            f"{label}: the recorded result names ballot_id {_show(recorded.get('ballot_id'))}"
        )
    computed: dict[str, Any] = dict(result)
    for key in [*computed, *(k for k in recorded if k not in computed and k != "ballot_id")]:
        if key not in recorded:
            found.append(f"{label}: {key}: missing from the recorded result")
        elif recorded[key] != computed.get(key):
            found.append(
                f"{label}: {key}: recorded {_show(recorded[key])}, "
                f"recounted {_show(computed.get(key))}"
            )
    return found


def _show(value: object) -> str:
    """JSON text, bounded: a difference line stays readable whatever the file holds."""
    try:
        text = json.dumps(value, ensure_ascii=False)
    except (TypeError, ValueError):
        text = repr(value)
    return text if len(text) <= 200 else text[:197] + "..."
