"""After a run: read what Locust, the workers and the monitor left in the output
directory, check the service-level objective (:mod:`loadtests.checks`), judge it
(:mod:`loadtests.verdict`), write ``summary.json``, ``summary.md``
(:mod:`loadtests.summary_md`) and ``timeline.png`` (:mod:`loadtests.plots`), and put the
headline at the top of Locust's ``report.html``."""

from __future__ import annotations

import html
import json
from collections import Counter, defaultdict
from dataclasses import asdict
from pathlib import Path
from typing import Any

from loadtests import catalog, monitor, names, plots
from loadtests.checks import Slo, checks, kind_checks
from loadtests.stats import merge, percentile
from loadtests.summary_md import markdown
from loadtests.verdict import CONTENDED_CPU, judge, verdict_text

__all__ = ["CONTENDED_CPU", "Slo", "build", "verdict_text", "write"]


def _load_json(path: Path) -> Any:
    return json.loads(path.read_text()) if path.exists() else None


def _entries(stats: dict[str, Any] | None, type_: str, *prefixes: str) -> list[dict[str, Any]]:
    """The entries of ``type_`` whose names start with one of ``prefixes`` (any without)."""
    return [
        e
        for e in (stats or {}).get("entries", [])
        if e["type"] == type_ and (not prefixes or e["name"].startswith(prefixes))
    ]


def _by_name(entries: list[dict[str, Any]]) -> dict[str, Any]:
    return {e["name"]: merge([e]) for e in sorted(entries, key=lambda e: e["name"])}


def _tallies(
    results: dict[str, Any] | None,
    export: dict[str, Any] | None,
    room_exports: dict[str, Any] | None = None,
) -> list[dict[str, Any]]:
    """Per closed activity: the server's final tally (close ack), the answers the users
    saw acked (summed over workers) and the export; with rooms, also the export of the
    activity's room, which must hold it (and no other room's may). ``match`` only when
    all agree exactly."""
    if not results or not results.get("presenter"):
        return []
    acked_voters: Counter[str] = Counter()
    acked_counts: dict[str, Counter[str]] = defaultdict(Counter)
    for worker in results.get("workers", []):
        for activity_id, votes in worker.get("votes", {}).items():
            acked_voters[activity_id] += int(votes["voters"])
            acked_counts[activity_id].update({k: int(v) for k, v in votes["counts"].items()})
    # Each kind's activities are a list of their own in the export (e.g. "polls").
    exported: dict[str, tuple[Any, Any]] = {}  # activity id -> (total, answers)
    items: dict[str, Any] = {}  # activity id -> its item in the event's export
    for kind in catalog.all_kinds():
        section = (export or {}).get(kind.export_key, [])
        exported.update(kind.exported(section))
        items.update((item["id"], item) for item in section)
    # activity id -> room -> its item in that room's export
    by_room: dict[str, dict[str, Any]] = defaultdict(dict)
    # activity id -> its answer total in its room's export (read as its kind reads it)
    room_totals: dict[str, dict[str, Any]] = defaultdict(dict)
    for room, room_export in (room_exports or {}).items():
        for kind in catalog.all_kinds():
            for item in (room_export or {}).get(kind.export_key, []):
                by_room[item["id"]][room] = item
                room_totals[item["id"]][room] = kind.export_answers(item)[0]
    out = []
    for activity in results["presenter"].get("activities", []):
        activity_id = activity["id"]
        server = activity.get("results") or {}
        server_counts = {
            k: v for k, v in (server.get("counts") or {}).items() if isinstance(v, int)
        }
        acked = dict(acked_counts.get(activity_id, {}))
        ex_total, ex_answers = exported.get(activity_id, (None, None))
        counts_match = all(acked.get(k, 0) == v for k, v in server_counts.items()) and all(
            k in server_counts for k in acked
        )
        match = (
            server.get("total") is not None
            and server.get("total") == acked_voters.get(activity_id, 0) == ex_total == ex_answers
            and counts_match
        )
        room = activity.get("room")
        room_total = None
        if room_exports is not None:
            held = by_room.get(activity_id, {})
            room_total = room_totals[activity_id].get(room)
            match = (
                match
                and set(held) == {room}
                and room_total == server.get("total")
                and (items.get(activity_id) or {}).get("room", room) == room
            )
        out.append(
            {
                "type": activity.get("type"),
                "id": activity_id,
                "room": room,
                "room_export_total": room_total,
                "kind": activity.get("kind"),
                "server_total": server.get("total"),
                "acked_voters": acked_voters.get(activity_id, 0),
                "export_total": ex_total,
                "export_answers": ex_answers,
                "server_counts": server_counts,
                "acked_counts": acked,
                "match": bool(match),
            }
        )
    return out


def _export_checks(export: dict[str, Any] | None) -> dict[str, Any]:
    """The kinds' own checks of their export sections (e.g. scores replayed from the
    answers): how many activities were checked and the problems found."""
    checked, problems = 0, []
    for kind in catalog.all_kinds():
        items = (export or {}).get(kind.export_key, [])
        if kind.check_export is not None and items:
            checked += len(items)
            problems += kind.check_export(items)
    return {"checked": checked, "problems": problems}


def build(
    out: Path, meta: dict[str, Any], slo: Slo, calibration: dict[str, Any] | None = None
) -> dict[str, Any]:
    """Everything a reader needs, as one JSON-able dict, with the verdict; ``calibration``
    is the generator's floor (:func:`loadtests.calibration.run`), or why there is none."""
    stats = _load_json(out / names.STATS_FILE)
    results = _load_json(out / names.RESULTS_FILE)
    export = meta.pop("export", None)
    room_exports = meta.pop("room_exports", None)
    workers = (results or {}).get("workers", [])
    presenter = (results or {}).get("presenter") or {}

    join = _entries(stats, names.JOIN)
    fanout = _entries(stats, names.FANOUT)
    votes = _entries(stats, names.ACK, *catalog.answer_events())
    acks = _entries(stats, names.ACK)
    reconnect = _entries(stats, names.RECONNECT)
    latency = {
        "join": merge(join),
        "join_by_name": _by_name(join),
        "fanout": merge(fanout),
        "fanout_attendees": merge(e for e in fanout if not e["name"].endswith(names.STAFF_SUFFIX)),
        "fanout_by_event": _by_name(fanout),
        "ack_vote": merge(votes),
        "ack_by_name": _by_name(acks),
        "reconnect": merge(reconnect),
    }
    all_entries = (stats or {}).get("entries", [])
    failures = {
        "total": sum(int(e["failures"]) for e in all_entries),
        "by_entry": [
            {"type": e["type"], "name": e["name"], "failures": e["failures"]}
            for e in all_entries
            if e["failures"]
        ],
        "errors": sorted((stats or {}).get("errors", []), key=lambda e: -int(e["occurrences"]))[
            :25
        ],
    }
    missed: dict[str, Any] = {"total": 0, "checked": 0, "exempt": 0}
    for key in ("missed", "late", "wrong"):
        missed[key] = dict(
            sum((Counter(w["missed"].get(key, {})) for w in workers), Counter[str]())
        )
    for w in workers:
        missed["total"] += int(w["missed"]["total"])
        missed["checked"] += int(w["missed"]["checked"])
        missed["exempt"] += int(w["missed"]["exempt"])
    counters: Counter[str] = Counter()
    for w in workers:
        counters.update(w.get("counters", {}))
    attendees = int(meta.get("users", 0)) - 1
    joins = {
        "expected": attendees,
        "joined": sum(int(w["joined"]) for w in workers),
        "gave_up": counters.get("join_gave_up", 0),
        "presence_max": presenter.get("online_max"),
    }
    tallies = _tallies(results, export, room_exports)
    isolation = _isolation(workers)
    lag: Counter[float] = Counter()
    for w in workers:
        lag.update({float(k): int(v) for k, v in w.get("loop_lag", {}).items()})
    loop_lag = {
        "samples": sum(lag.values()),
        "p50": percentile(lag, 0.5),
        "p99": percentile(lag, 0.99),
        "max": max(lag) if lag else 0.0,
    }
    rows = monitor.load(out / names.RESOURCES_CSV)
    resources = monitor.summarise(rows)
    # The live phase: from the first activity opening (the scenarios mark "<type> opened")
    # to the end of the scenario, where the broadcasts and votes are (the join phase
    # before it has other costs).
    marks = presenter.get("timeline", [])
    opened = [m["t"] / 1000 for m in marks if m["what"].split(" ")[1:] == ["opened"]]
    live: dict[str, Any] = {}
    if opened and marks:
        start, end = opened[0], marks[-1]["t"] / 1000
        phase_lag: Counter[float] = Counter()
        for second, groups in plots.series(out).items():
            if start <= second <= end:
                phase_lag.update(groups.get("LAG loop", {}))
        live = {
            "seconds": round(end - start, 1),
            "generator_loop_lag_ms": {
                "p50": percentile(phase_lag, 0.5),
                "p99": percentile(phase_lag, 0.99),
                "max": max(phase_lag) if phase_lag else 0.0,
            },
            "resources": monitor.summarise([r for r in rows if start <= r["t"] <= end]),
        }

    summary: dict[str, Any] = {
        "run": meta,
        "scenario": {
            "completed": bool(presenter.get("ok")),
            "error": presenter.get("error")
            or (None if results else "the scenario did not finish (no results file)"),
            "workers_reported": len(workers),
            "workers_expected": (results or {}).get("workers_expected"),
            "timeline": presenter.get("timeline", []),
        },
        "latency": latency,
        "entries": [
            {k: e[k] for k in ("type", "name", "requests", "failures")} for e in all_entries
        ],
        "failures": failures,
        "missed": missed,
        "joins": joins,
        "tally": tallies,
        "isolation": isolation,
        "rooms": presenter.get("rooms") or [],
        "export_checks": _export_checks(export),
        "counters": dict(counters),
        "resources": resources,
        "generator_loop_lag_ms": loop_lag,
        "live_phase": live,
        "calibration": calibration or {"skipped": "not run"},
        "worker_examples": [w.get("examples", []) for w in workers],
        "slo": asdict(slo),
    }
    # The kinds' checks: those each Locust process collected (the master ran them) and
    # those of the whole run given the export (e.g. a recount); checks() lists them all.
    summary["kind_checks"] = list((results or {}).get("kind_checks", [])) + kind_checks(
        out, export, presenter.get("activities", [])
    )
    summary["checks"] = checks(summary, slo)
    judge(summary, slo)
    return summary


def _isolation(workers: list[dict[str, Any]]) -> dict[str, int] | None:
    """The workers' room isolation checks summed (None: a run without rooms)."""
    reports = [w["isolation"] for w in workers if w.get("isolation")]
    if not reports:
        return None
    total: Counter[str] = Counter()
    for report in reports:
        total.update({k: int(v) for k, v in report.items() if k not in ("activities", "rooms")})
    return {
        **dict(total),
        "activities": max(int(r["activities"]) for r in reports),
        "rooms": max(int(r["rooms"]) for r in reports),
    }


def write(out: Path, summary: dict[str, Any]) -> None:
    """``summary.json``, ``summary.md`` and ``timeline.png`` into ``out``; the headline
    into Locust's ``report.html``."""
    (out / names.SUMMARY_JSON).write_text(json.dumps(summary, indent=1, default=str))
    plots.plot_timeline(out, summary)
    (out / names.SUMMARY_MD).write_text(markdown(summary))
    headline_into_html(out / names.HTML_REPORT, summary["headline"])


#: the colour of the headline's bar in report.html, per verdict
_HTML_COLOURS = {"PASS": "#1b5e20", "FAIL": "#b71c1c", "GENERATOR-BOUND": "#8a5a00"}
HTML_MARK = "plenary-headline"


def headline_into_html(path: Path, headline: str) -> bool:
    """Put ``headline`` in a bar at the top of Locust's HTML report (once: a bar from an
    earlier call is replaced). False when there is no report."""
    if not path.exists():
        return False
    page = path.read_text(encoding="utf-8")
    start = page.find(f'<div id="{HTML_MARK}"')
    if start >= 0:
        page = page[:start] + page[page.index("</div>", start) + len("</div>") :]
    colour = _HTML_COLOURS.get(headline.split(":")[0], "#333")
    bar = (
        f'<div id="{HTML_MARK}" style="padding:0.6em 1em;font:600 1.1em sans-serif;'
        f'color:#fff;background:{colour}">{html.escape(headline)}</div>'
    )
    body = page.find("<body")
    at = page.index(">", body) + 1 if body >= 0 else 0
    path.write_text(page[:at] + bar + page[at:], encoding="utf-8")
    return True
