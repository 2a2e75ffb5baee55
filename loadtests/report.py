"""After a run: read what Locust, the workers and the monitor left in the output
directory, check the service-level objective, write ``summary.json``, ``summary.md`` and
``timeline.png``."""

from __future__ import annotations

import csv
import json
from collections import Counter, defaultdict
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from loadtests import catalog, monitor, names
from loadtests.stats import merge, percentile

#: mean CPU (% of one core) of other programs above which a run is flagged as contended
CONTENDED_CPU = 30.0


@dataclass(frozen=True)
class Slo:
    """The default objective for 1,000 attendees on one 2-core machine."""

    fanout_p99_ms: float = 250.0
    ack_p99_ms: float = 250.0
    join_max_ms: float = 5000.0
    reconnect_max_ms: float = 5000.0


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


def build(out: Path, meta: dict[str, Any], slo: Slo) -> dict[str, Any]:
    """Everything a reader needs, as one JSON-able dict, with the SLO verdict."""
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
        for second, groups in _series(out).items():
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
        "worker_examples": [w.get("examples", []) for w in workers],
        "slo": asdict(slo),
    }
    # The kinds' checks: those each Locust process collected (the master ran them) and
    # those of the whole run given the export (e.g. a recount); checks() lists them all.
    summary["kind_checks"] = list((results or {}).get("kind_checks", [])) + kind_checks(
        out, export, presenter.get("activities", [])
    )
    summary["checks"] = checks(summary, slo)
    summary["verdict"] = "PASS" if all(c["ok"] for c in summary["checks"]) else "FAIL"
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


def _check(name: str, target: str, actual: Any, ok: bool) -> dict[str, Any]:
    return {"name": name, "target": target, "actual": actual, "ok": bool(ok)}


def kind_checks(
    out: Path, export: dict[str, Any] | None, activities: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """Each kind's own checks of the run (:attr:`loadtests.kinds.Kind.run_checks`), for
    the kinds whose activities the scenario ran."""
    found = []
    for kind in catalog.all_kinds():
        mine = [a for a in activities if a.get("type") == kind.type]
        if kind.run_checks is None or not mine:
            continue
        if export is None:
            found.append(_check(f"{kind.type}: export", "fetched", "no export", False))
            continue
        found.extend(_check(*check) for check in kind.run_checks(export, mine, out))
    return found


def checks(s: dict[str, Any], slo: Slo) -> list[dict[str, Any]]:
    """The SLO, one line per figure."""
    lat = s["latency"]
    out = [
        _check(
            "scenario completed",
            "yes",
            "yes" if s["scenario"]["completed"] else f"no: {s['scenario']['error']}",
            s["scenario"]["completed"]
            and s["scenario"]["workers_reported"] == s["scenario"]["workers_expected"],
        ),
        _check(
            "server processes stayed up",
            "all",
            ", ".join(s["run"].get("crashed") or []) or "all",
            not s["run"].get("crashed"),
        ),
        _check(
            "server logged no errors",
            "0",
            f"{len(s['run'].get('server_log_errors') or [])}"
            + (
                f" (first: {s['run']['server_log_errors'][0][:200]})"
                if s["run"].get("server_log_errors")
                else ""
            ),
            not s["run"].get("server_log_errors"),
        ),
        _check("failures", "0", s["failures"]["total"], s["failures"]["total"] == 0),
        _check(
            "missed broadcasts",
            "0",
            f"{s['missed']['total']} of {s['missed']['checked']} expected deliveries",
            s["missed"]["total"] == 0 and s["missed"]["checked"] > 0,
        ),
        _check(
            "exact tally (server = acked votes = export)",
            "every activity",
            "; ".join(
                f"{t['id']}{_in_room(t)}: server {t['server_total']}, acked {t['acked_voters']}, "
                f"export {t['export_total']}"
                + (
                    f", room export {t['room_export_total']}"
                    if t.get("room_export_total") is not None or s.get("rooms")
                    else ""
                )
                for t in s["tally"]
            )
            or "no activity closed",
            bool(s["tally"]) and all(t["match"] for t in s["tally"]),
        ),
        _check(
            "every attendee joined",
            str(s["joins"]["expected"]),
            s["joins"]["joined"],
            s["joins"]["joined"] == s["joins"]["expected"],
        ),
        _check(
            "join time max",
            f"<= {slo.join_max_ms:g} ms",
            lat["join"]["max"],
            lat["join"]["count"] > 0 and lat["join"]["max"] <= slo.join_max_ms,
        ),
        _check(
            "fan-out p99",
            f"<= {slo.fanout_p99_ms:g} ms",
            lat["fanout"]["p99"],
            lat["fanout"]["count"] > 0 and lat["fanout"]["p99"] <= slo.fanout_p99_ms,
        ),
        _check(
            "vote ack p99",
            f"<= {slo.ack_p99_ms:g} ms",
            lat["ack_vote"]["p99"],
            lat["ack_vote"]["count"] > 0 and lat["ack_vote"]["p99"] <= slo.ack_p99_ms,
        ),
    ]
    iso = s.get("isolation")
    if iso is not None or s.get("rooms"):
        iso = iso or {}
        bad = int(iso.get("foreign", 0)) + int(iso.get("unknown", 0))
        out.append(
            _check(
                "no message of another room",
                "0",
                f"{bad} (checked {int(iso.get('messages', 0)):,} activity messages of "
                f"{int(iso.get('attendees_checked', 0)):,} attendees, "
                f"{int(iso.get('rooms', 0))} rooms)",
                bad == 0 and int(iso.get("attendees_checked", 0)) > 0,
            )
        )
    replayed = s.get("export_checks") or {}
    if replayed.get("checked"):
        problems = replayed["problems"]
        out.append(
            _check(
                "the export checks out (each kind's own check, e.g. scores replayed)",
                "no problem",
                f"{len(problems)} problems in {replayed['checked']} activities"
                + (f" (first: {problems[0][:200]})" if problems else ""),
                not problems,
            )
        )
    if lat["reconnect"]["count"] or s["run"].get("scenario") == "reconnect_storm":
        out.append(
            _check(
                "back within (drop -> welcome) max",
                f"<= {slo.reconnect_max_ms:g} ms",
                lat["reconnect"]["max"],
                lat["reconnect"]["count"] > 0 and lat["reconnect"]["max"] <= slo.reconnect_max_ms,
            )
        )
    out.extend(s.get("kind_checks", []))
    return out


# -- writing ---------------------------------------------------------------------------
def _in_room(tally: dict[str, Any]) -> str:
    room = tally.get("room")
    return f" (room {room})" if room and room != "main" else ""


def _fmt(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:,.1f}".rstrip("0").rstrip(".")
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def _source(src: dict[str, Any]) -> str:
    if src.get("external"):
        return f"external deployment {src['external']}"
    if src.get("ref"):
        return f"`{src['ref']}` = commit `{src['commit'][:10]}`"
    dirty = src.get("dirty_server_files") or []
    text = f"working tree at commit `{str(src.get('commit', '?'))[:10]}`"
    return text + (f", with uncommitted changes in {len(dirty)} server files" if dirty else "")


def _entries_of(s: dict[str, Any], type_: str) -> list[tuple[str, str, int, int]]:
    return [
        (e["type"], e["name"], e["requests"], e["failures"])
        for e in s["entries"]
        if e["type"] == type_
    ]


def markdown(s: dict[str, Any]) -> str:
    """``summary.md``."""
    run = s["run"]
    lines = [
        f"# Load test: {run['scenario']}, {run['users']:,} users, {run['mode']} mode: "
        f"**{s['verdict']}**",
        "",
        f"{run.get('scenario_summary', '')}",
        "",
        f"- servers: {run['server_desc']}; load generator: {run['locust_desc']}",
        f"- server code: {_source(run.get('server_source') or {})}",
        f"- started {run['started']}, {run['duration_s']:.0f} s; output `{run['out']}`",
        "",
        "## SLO",
        "",
        "| check | target | actual | |",
        "|---|---|---|---|",
    ]
    for c in s["checks"]:
        status = "ok" if c["ok"] else "**FAIL**"
        lines.append(f"| {c['name']} | {c['target']} | {_fmt(c['actual'])} | {status} |")
    facts = diagnosis(s)
    if facts:
        lines += ["", "Why the latency missed, as far as measured:", ""]
        lines += [f"- {fact}" for fact in facts]
    lines += [
        "",
        "## Latency (ms)",
        "",
        "| measure | count | p50 | p90 | p99 | max | failures |",
        "|---|---|---|---|---|---|---|",
    ]
    lat = s["latency"]
    rows = [("join (connect -> welcome)", lat["join"])]
    rows += [(f"&nbsp;&nbsp;{n}", v) for n, v in lat["join_by_name"].items()]
    rows += [("fan-out (receipt - ts), all broadcasts", lat["fanout"])]
    rows += [(f"&nbsp;&nbsp;{n}", v) for n, v in lat["fanout_by_event"].items()]
    rows += [("ack", lat["ack_vote"])]
    rows += [(f"&nbsp;&nbsp;{n}", v) for n, v in lat["ack_by_name"].items()]
    if lat["reconnect"]["count"]:
        rows += [("reconnect (drop -> welcome)", lat["reconnect"])]
    for label, m in rows:
        lines.append(
            f"| {label} | {_fmt(m['count'])} | {_fmt(m['p50'])} | {_fmt(m['p90'])} | "
            f"{_fmt(m['p99'])} | {_fmt(m['max'])} | {_fmt(m['failures'])} |"
        )
    checked = _entries_of(s, names.CHECK) + _entries_of(s, names.MISSED)
    checked += _entries_of(s, names.SETUP)
    if checked:
        lines += ["", "## Checks", "", "| type | check | count | failures |", "|---|---|---|---|"]
        lines += [f"| {t} | {n} | {c:,} | {f:,} |" for t, n, c, f in checked]
    lines += ["", "## Tally", ""]
    rooms = bool(s.get("rooms"))
    if s["tally"]:
        head = "| activity | room | server total | acked votes | export | room's export |"
        lines += [
            (head if rooms else "| activity | server total | acked votes | export |")
            + " counts (server / acked) | |",
            "|---|---|---|---|---|---|" + ("---|---|" if rooms else ""),
        ]
        for t in s["tally"]:
            counts = ", ".join(
                f"{k}: {v}/{t['acked_counts'].get(k, 0)}" for k, v in t["server_counts"].items()
            )
            where = f" {t.get('room')} | " if rooms else " "
            room_export = f" {_fmt(t.get('room_export_total'))} |" if rooms else ""
            lines.append(
                f"| {t['type']} {t['id']} |{where}{t['server_total']} | {t['acked_voters']} | "
                f"{t['export_total']} |{room_export} {counts} | "
                f"{'ok' if t['match'] else '**MISMATCH**'} |"
            )
    else:
        lines.append("No activity was closed: no tally to compare.")
    m = s["missed"]
    lines += [
        "",
        f"Expected deliveries checked: {m['checked']:,} (exempt, attendee dropped before the "
        f"deadline: {m['exempt']:,}); missed: {m['missed'] or 0}; late: {m['late'] or 0}; "
        f"wrong final total: {m['wrong'] or 0}."
        + (
            f" Room isolation: {s['isolation']['messages']:,} activity messages received by "
            f"{s['isolation']['attendees_checked']:,} attendees in {s['isolation']['rooms']} "
            f"rooms, of another room's activity: {s['isolation']['foreign']}, of an unknown "
            f"activity: {s['isolation']['unknown']}."
            if s.get("isolation")
            else ""
        ),
        "",
        f"## Resources (CPU in % of one core; this machine has {run.get('cores')} cores)",
        "",
        "| role | processes | CPU mean | CPU peak | busiest process mean / peak | "
        "peak memory (MB) |",
        "|---|---|---|---|---|---|",
    ]
    for role, r in sorted(s["resources"].items()):
        lines.append(
            f"| {role} | {r['processes']} | {r['cpu_mean']} | {r['cpu_peak']} | "
            f"{r['busiest_process_cpu_mean']} / {r['busiest_process_cpu_peak']} | "
            f"{r['rss_peak_mb']} |"
        )
    live = s.get("live_phase") or {}
    if live:
        lines += [
            "",
            f"While activities were live ({live['seconds']} s from the first opening to the "
            "end of the scenario):",
            "",
            "| role | CPU mean | CPU peak |",
            "|---|---|---|",
        ]
        for role, r in sorted(live["resources"].items()):
            lines.append(f"| {role} | {r['cpu_mean']} | {r['cpu_peak']} |")
        gl = live["generator_loop_lag_ms"]
        lines += [
            "",
            f"Load generator loop lag while live: p50 {_fmt(gl['p50'])} ms, p99 "
            f"{_fmt(gl['p99'])} ms, max {_fmt(gl['max'])} ms.",
        ]
    lag = s["generator_loop_lag_ms"]
    lines += [
        "",
        f"Load generator event-loop lag (how late a 100 ms timer fires in a Locust worker; "
        f"measured latencies include it): p50 {_fmt(lag['p50'])} ms, p99 {_fmt(lag['p99'])} "
        f"ms, max {_fmt(lag['max'])} ms. `other` is CPU used by programs outside this test"
        + (
            ": " + ", ".join(f"{n} {sec:g} CPU-s" for n, sec in run.get("other_programs_cpu_s", []))
            if run.get("other_programs_cpu_s")
            else "."
        ),
    ]
    lag_server = run.get("server_loop_lag_ms")
    view = run.get("server_view") or {}
    if lag_server or view:
        lines += ["", "## The server's own view (GET /metrics)", ""]
        if lag_server:
            lines.append(
                f"Server event-loop lag, sampled once a second: max {lag_server['max']} ms "
                f"over {lag_server['samples']} samples."
            )
        if view:
            lines += ["", "| server timing | count | mean (ms) |", "|---|---|---|"]
            lines += [f"| {k} | {v['count']:,} | {v['mean_ms']} |" for k, v in view.items()]
    examples = [e for w in s.get("worker_examples", []) for e in w][:20]
    if examples:
        lines += ["", "## Examples (with attendee ids)", ""]
        lines += [f"- {e}" for e in examples]
    if s["failures"]["errors"]:
        lines += ["", "## Errors (top 25)", "", "| type | name | error | count |"]
        lines += ["|---|---|---|---|"]
        for e in s["failures"]["errors"]:
            error = e["error"].replace("|", "/")[:160]
            lines.append(f"| {e['type']} | {e['name']} | {error} | {e['occurrences']} |")
    lines += [
        "",
        "## Counters (all attendees)",
        "",
        ", ".join(f"{k}: {v:,}" for k, v in sorted(s["counters"].items())) or "-",
        "",
        "## Files",
        "",
        f"![timeline]({names.TIMELINE_PNG})",
        "",
        f"Locust: `{names.HTML_REPORT}`, `{names.LOCUST_PREFIX}_stats.csv`, "
        f"`{names.LOCUST_PREFIX}_stats_history.csv`, `{names.LOCUST_PREFIX}_failures.csv`; "
        f"raw: `{names.STATS_FILE}`, `{names.RESULTS_FILE}`, `{names.RESOURCES_CSV}`; "
        "logs: `locust.log`, `server-*.log`.",
        "",
    ]
    return "\n".join(lines)


def _series(out: Path) -> dict[int, dict[str, Counter[float]]]:
    """Per-second histograms, merged over workers."""
    results = _load_json(out / names.RESULTS_FILE) or {}
    merged: dict[int, dict[str, Counter[float]]] = defaultdict(lambda: defaultdict(Counter))
    for worker in results.get("workers", []):
        for second, groups in worker.get("series", {}).items():
            for group, histogram in groups.items():
                merged[int(second)][group].update({float(k): v for k, v in histogram.items()})
    return merged


def plot_timeline(out: Path, s: dict[str, Any]) -> Path | None:
    """``timeline.png``: latency percentiles per second, users and messages, failures,
    CPU; the presenter's steps as vertical lines."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    series = _series(out)
    resources = monitor.load(out / names.RESOURCES_CSV)
    users = []
    history = out / f"{names.LOCUST_PREFIX}_stats_history.csv"
    if history.exists():
        with history.open() as handle:
            users = [
                (int(r["Timestamp"]), int(r["User Count"]))
                for r in csv.DictReader(handle)
                if r["Name"] == "Aggregated"
            ]
    starts = [min(series)] if series else []
    starts += [users[0][0]] if users else []
    starts += [resources[0]["t"]] if resources else []
    if not starts:
        return None
    t0 = min(starts)

    fig, axes = plt.subplots(4, 1, figsize=(11, 12), sharex=True)
    ax_lat, ax_users, ax_fail, ax_cpu = axes
    answer_acks = tuple(f"{names.ACK} {e}" for e in catalog.answer_events())
    groups = {
        "fan-out": lambda g: g.startswith(names.FANOUT + " "),
        "vote ack": lambda g: g.startswith(answer_acks),
        "join": lambda g: g.startswith(names.JOIN + " "),
        "reconnect": lambda g: g.startswith(names.RECONNECT + " "),
        "generator loop lag": lambda g: g == "LAG loop",
    }
    seconds = sorted(series)
    for label, wanted in groups.items():
        xs, p50, p99, mx = [], [], [], []
        for second in seconds:
            h: Counter[float] = Counter()
            for group, histogram in series[second].items():
                if wanted(group):
                    h.update(histogram)
            if h:
                xs.append(second - t0)
                p50.append(max(0.5, percentile(h, 0.5)))
                p99.append(max(0.5, percentile(h, 0.99)))
                mx.append(max(0.5, max(h)))
        if not xs:
            continue
        (line,) = ax_lat.plot(xs, p99, marker=".", label=f"{label} p99")
        ax_lat.plot(xs, p50, marker=".", ls="--", color=line.get_color(), label=f"{label} p50")
    slo = s["slo"]
    ax_lat.axhline(slo["fanout_p99_ms"], color="red", lw=0.8, ls=":", label="SLO p99")
    ax_lat.set_yscale("log")
    ax_lat.set_ylabel("ms (per second, log)")
    ax_lat.set_title(
        f"{s['run']['scenario']}, {s['run']['users']:,} users, {s['run']['mode']}: {s['verdict']}"
    )
    ax_lat.legend(fontsize=7, ncol=4)

    if users:
        ax_users.plot([t - t0 for t, _ in users], [u for _, u in users], color="black")
    ax_users.set_ylabel("users")
    ax_msgs = ax_users.twinx()
    rate = [
        sum(
            sum(h.values())
            for group, h in series[second].items()
            if group.startswith(names.FANOUT + " ")
        )
        for second in seconds
    ]
    ax_msgs.bar([sec - t0 for sec in seconds], rate, width=1.0, alpha=0.3, color="tab:blue")
    ax_msgs.set_ylabel("broadcasts received / s", color="tab:blue")

    fails = [sum(series[sec].get("failures", Counter()).values()) for sec in seconds]
    ax_fail.bar([sec - t0 for sec in seconds], fails, width=1.0, color="tab:red")
    ax_fail.set_ylabel("failures / s")

    by_role: dict[str, dict[float, float]] = defaultdict(lambda: defaultdict(float))
    for row in resources:
        by_role[row["role"]][row["t"]] += row["cpu"]
    for role, points in sorted(by_role.items()):
        times = sorted(points)
        ax_cpu.plot([t - t0 for t in times], [points[t] for t in times], label=role)
    ax_cpu.set_ylabel("CPU % of one core")
    ax_cpu.set_xlabel("seconds since start")
    ax_cpu.legend(fontsize=7)

    for mark in s["scenario"]["timeline"]:
        x = mark["t"] / 1000 - t0
        for ax in axes:
            ax.axvline(x, color="grey", lw=0.6, ls=":")
        ax_lat.annotate(
            mark["what"][:24],
            (x, 1),
            xycoords=("data", "axes fraction"),
            rotation=90,
            fontsize=6,
            va="top",
        )
    fig.tight_layout()
    path = out / names.TIMELINE_PNG
    fig.savefig(path, dpi=90)
    plt.close(fig)
    return path


def write(out: Path, summary: dict[str, Any]) -> None:
    """``summary.json``, ``summary.md`` and ``timeline.png`` into ``out``."""
    (out / names.SUMMARY_JSON).write_text(json.dumps(summary, indent=1, default=str))
    plot_timeline(out, summary)
    (out / names.SUMMARY_MD).write_text(markdown(summary))


def diagnosis(s: dict[str, Any]) -> list[str]:
    """Facts that explain a latency miss: where the time could have gone."""
    failed = {c["name"] for c in s["checks"] if not c["ok"]}
    if not failed & {"fan-out p99", "vote ack p99", "join time max"}:
        return []
    if not s["scenario"]["completed"] or not s["latency"]["join"]["count"]:
        return []  # nothing ran as planned: the checks above say what went wrong
    run = s["run"]
    view = run.get("server_view") or {}
    live = s.get("live_phase") or {}
    res = live.get("resources") or s["resources"]
    facts = []
    slowest = max(
        ((k[len("broadcast ") :], v) for k, v in view.items() if k.startswith("broadcast ")),
        key=lambda kv: kv[1]["mean_ms"],
        default=None,
    )
    if slowest:
        facts.append(
            f"the server took {slowest[1]['mean_ms']} ms on average to hand one "
            f"`{slowest[0]}` to the sockets of its room (its own measure; the work is per "
            "recipient, in one event loop per process)"
        )
    lag = run.get("server_loop_lag_ms")
    if lag:
        facts.append(f"the server's event loop lagged up to {lag['max']} ms")
    server = res.get("server", {})
    gen = res.get("locust", {})
    other = res.get("other", {})
    facts.append(
        f"while live the server used {server.get('cpu_mean', '-')} % of a core, the load "
        f"generator {gen.get('cpu_mean', '-')} % and other programs {other.get('cpu_mean', '-')} "
        f"% (of {100 * int(run.get('cores') or 1)} %)"
    )
    glag = (live.get("generator_loop_lag_ms") or s["generator_loop_lag_ms"]).get("p99")
    facts.append(
        f"the load generator's own loop lag p99 was {_fmt(glag)} ms: that much of each "
        "measured latency can be the generator's queueing"
    )
    acks = next((view[f"ack {e}"] for e in catalog.answer_events() if f"ack {e}" in view), None)
    if acks and "vote ack p99" in failed:
        facts.append(
            f"the server handled a vote in {acks['mean_ms']} ms on average: the rest of the "
            "ack time is waiting in the event loops"
        )
    return facts


def verdict_text(s: dict[str, Any]) -> str:
    """The lines printed at the end of a run."""
    lat = s["latency"]
    lines = [
        f"{s['run']['scenario']} with {s['run']['users']:,} users ({s['run']['mode']}): "
        f"{s['verdict']}",
        f"  join max {_fmt(lat['join']['max'])} ms, fan-out p50/p99 "
        f"{_fmt(lat['fanout']['p50'])}/{_fmt(lat['fanout']['p99'])} ms over "
        f"{lat['fanout']['count']:,} broadcasts, vote ack p99 {_fmt(lat['ack_vote']['p99'])} ms",
    ]
    res = s["resources"]
    server = res.get("server", {})
    gen = res.get("locust", {})
    lines.append(
        f"  server CPU mean/peak {server.get('cpu_mean', '-')}/{server.get('cpu_peak', '-')} %,"
        f" peak memory {server.get('rss_peak_mb', '-')} MB; load generator CPU mean/peak "
        f"{gen.get('cpu_mean', '-')}/{gen.get('cpu_peak', '-')} % "
        f"({gen.get('processes', '-')} processes)"
    )
    live = s.get("live_phase") or {}
    if live:
        lr = live["resources"]
        gl = live["generator_loop_lag_ms"]
        lines.append(
            f"  while activities were live ({live['seconds']} s): server CPU mean "
            f"{lr.get('server', {}).get('cpu_mean', '-')} %, load generator CPU mean "
            f"{lr.get('locust', {}).get('cpu_mean', '-')} %, other programs "
            f"{lr.get('other', {}).get('cpu_mean', '-')} %, generator loop lag p99 "
            f"{_fmt(gl['p99'])} ms"
        )
    lag = s["generator_loop_lag_ms"]
    other = res.get("other", {})
    lines.append(
        f"  load generator loop lag p99/max {_fmt(lag['p99'])}/{_fmt(lag['max'])} ms; "
        f"other programs' CPU mean/peak {other.get('cpu_mean', '-')}/"
        f"{other.get('cpu_peak', '-')} %"
        + (
            " ("
            + ", ".join(
                f"{n} {sec:g} CPU-s" for n, sec in s["run"].get("other_programs_cpu_s", [])[:3]
            )
            + ")"
            if s["run"].get("other_programs_cpu_s")
            else ""
        )
    )
    if (other.get("cpu_mean") or 0) > CONTENDED_CPU:
        lines.append(
            f"  WARNING: other programs used {other['cpu_mean']} % of a core on average during "
            "this run: the figures are pessimistic (run again on a quiet machine)"
        )
    for c in s["checks"]:
        mark = "ok  " if c["ok"] else "FAIL"
        lines.append(f"  [{mark}] {c['name']}: {_fmt(c['actual'])} (target {c['target']})")
    facts = diagnosis(s)
    if facts:
        lines.append("  why the latency missed, as far as measured:")
        lines += [f"    - {fact}" for fact in facts]
    return "\n".join(lines)
