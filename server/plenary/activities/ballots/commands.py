"""``plenary recount EXPORT.json``: every award ballot's result recomputed from an
event's export alone (its anonymised ballots), printed, and compared with the result the
server recorded. Exit status 0 when every result checks out, 1 when any differs, 2 when
the file cannot be read as an export."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any, TextIO

from plenary.activities.ballots.counting import BallotResult
from plenary.activities.ballots.recount import SECTION, recount_ballot
from plenary.commands import Command


def configure(parser: argparse.ArgumentParser) -> None:
    parser.description = (
        "Recompute every award ballot's result from an event export (GET "
        "/api/events/CODE/export) and compare it with the recorded result."
    )
    parser.add_argument("export", help="the export file (JSON), or - for standard input")
    parser.add_argument(
        "--json", action="store_true", help="print the recomputed results as JSON instead"
    )


def run(args: argparse.Namespace) -> int:
    return recount_file(args.export, as_json=args.json, out=sys.stdout, err=sys.stderr)


def recount_file(path: str, *, as_json: bool, out: TextIO, err: TextIO) -> int:
    try:
        text = sys.stdin.read() if path == "-" else Path(path).read_text(encoding="utf-8-sig")
        document = json.loads(text)
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        err.write(f"plenary recount: cannot read {path}: {exc}\n")
        return 2
    items = document.get(SECTION) if isinstance(document, Mapping) else document
    if not isinstance(items, list):
        err.write(f'plenary recount: {path} has no "{SECTION}" list: is it an event export?\n')
        return 2
    recomputed: list[dict[str, Any]] = []
    differences: list[str] = []
    for position, record in enumerate(items):
        result, found = recount_ballot(record, position)
        differences.extend(found)
        if result is not None and isinstance(record, Mapping):
            recomputed.append({"ballot_id": record.get("id"), **result})
            if not as_json:
                out.write(describe(record, result))
    if as_json:
        out.write(json.dumps(recomputed, ensure_ascii=False, indent=2) + "\n")
    for line in differences:
        err.write(f"DIFFERENT {line}\n")
    summary = f"{len(items)} ballots recounted: "
    if differences:
        err.write(summary + f"{len(differences)} differences with the recorded results.\n")
        return 1
    (err if as_json else out).write(summary + "every recorded result checks out.\n")
    return 0


def describe(record: Mapping[str, Any], result: BallotResult) -> str:
    """The recomputed result as people read it, with the candidates' names."""
    names = {
        c["id"]: str(c.get("name", c["id"]))
        for c in record.get("candidates", [])
        if isinstance(c, Mapping) and isinstance(c.get("id"), str)
    }

    def name(cid: str) -> str:
        return names.get(cid, cid)

    def figures(totals: Mapping[str, int]) -> str:
        return ", ".join(f"{name(c)} {n}" for c, n in totals.items())

    winners = " and ".join(name(c) for c in result["winners"]) or "nobody (no ballots)"
    lines = [
        f"{record.get('id')} {record.get('title', '')!r}: {result['method']}, "
        f"{result['ballots']} ballots",
        f"  {'tie between' if result['tie'] else 'winner'}: {winners}",
        f"  totals: {figures(result['totals'])}",
    ]
    for number, round_ in enumerate(result.get("rounds", []), start=1):
        out = ", ".join(name(c) for c in round_["eliminated"]) or "-"
        lines.append(f"  round {number}: {figures(round_['totals'])}; out: {out}")
    pairwise = result.get("pairwise")
    if pairwise:
        for a, row in pairwise.items():
            lines.append(
                f"  {name(a)} over: " + ", ".join(f"{name(b)} {n}" for b, n in row.items())
            )
    return "\n".join(lines) + "\n"


COMMANDS = [
    Command(
        "recount",
        "recompute the award ballots of an event export and check the recorded results",
        configure,
        run,
    )
]
