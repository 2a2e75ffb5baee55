"""The run's checks, one line per figure: the service-level objective (latency) and
everything that must hold whatever the load (failures, missed broadcasts, exact tallies,
joins, the kinds' own checks). :mod:`loadtests.verdict` judges them."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from loadtests import catalog


@dataclass(frozen=True)
class Slo:
    """The default objective for 1,000 attendees on one 2-core machine."""

    fanout_p99_ms: float = 250.0
    ack_p99_ms: float = 250.0
    join_max_ms: float = 5000.0
    reconnect_max_ms: float = 5000.0


#: The checks of a latency figure, judged only when the load generator's own share of
#: it is small enough (see :mod:`loadtests.verdict`); name -> (summary latency key,
#: figure, the objective's field in :class:`Slo`).
LATENCY: dict[str, tuple[str, str, str]] = {
    "join time max": ("join", "max", "join_max_ms"),
    "fan-out p99": ("fanout", "p99", "fanout_p99_ms"),
    "vote ack p99": ("ack_vote", "p99", "ack_p99_ms"),
    "back within (drop -> welcome) max": ("reconnect", "max", "reconnect_max_ms"),
}


def check(name: str, target: str, actual: Any, ok: bool) -> dict[str, Any]:
    """One check; ``judged`` False (and ``ok`` None) once :mod:`loadtests.verdict` finds
    the load generator took too much of a latency figure to judge it."""
    return {"name": name, "target": target, "actual": actual, "ok": bool(ok), "judged": True}


def in_room(tally: dict[str, Any]) -> str:
    room = tally.get("room")
    return f" (room {room})" if room and room != "main" else ""


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
            found.append(check(f"{kind.type}: export", "fetched", "no export", False))
            continue
        found.extend(check(*line) for line in kind.run_checks(export, mine, out))
    return found


def checks(s: dict[str, Any], slo: Slo) -> list[dict[str, Any]]:
    """The SLO, one line per figure."""
    lat = s["latency"]
    out = [
        check(
            "scenario completed",
            "yes",
            "yes" if s["scenario"]["completed"] else f"no: {s['scenario']['error']}",
            s["scenario"]["completed"]
            and s["scenario"]["workers_reported"] == s["scenario"]["workers_expected"],
        ),
        check(
            "server processes stayed up",
            "all",
            ", ".join(s["run"].get("crashed") or []) or "all",
            not s["run"].get("crashed"),
        ),
        check(
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
        check("failures", "0", s["failures"]["total"], s["failures"]["total"] == 0),
        check(
            "missed broadcasts",
            "0",
            f"{s['missed']['total']} of {s['missed']['checked']} expected deliveries",
            s["missed"]["total"] == 0 and s["missed"]["checked"] > 0,
        ),
        check(
            "exact tally (server = acked votes = export)",
            "every activity",
            "; ".join(
                f"{t['id']}{in_room(t)}: server {t['server_total']}, acked {t['acked_voters']}, "
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
        check(
            "every attendee joined",
            str(s["joins"]["expected"]),
            s["joins"]["joined"],
            s["joins"]["joined"] == s["joins"]["expected"],
        ),
        check(
            "join time max",
            f"<= {slo.join_max_ms:g} ms",
            lat["join"]["max"],
            lat["join"]["count"] > 0 and lat["join"]["max"] <= slo.join_max_ms,
        ),
        check(
            "fan-out p99",
            f"<= {slo.fanout_p99_ms:g} ms",
            lat["fanout"]["p99"],
            lat["fanout"]["count"] > 0 and lat["fanout"]["p99"] <= slo.fanout_p99_ms,
        ),
        check(
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
            check(
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
            check(
                "the export checks out (each kind's own check, e.g. scores replayed)",
                "no problem",
                f"{len(problems)} problems in {replayed['checked']} activities"
                + (f" (first: {problems[0][:200]})" if problems else ""),
                not problems,
            )
        )
    if lat["reconnect"]["count"] or s["run"].get("scenario") == "reconnect_storm":
        out.append(
            check(
                "back within (drop -> welcome) max",
                f"<= {slo.reconnect_max_ms:g} ms",
                lat["reconnect"]["max"],
                lat["reconnect"]["count"] > 0 and lat["reconnect"]["max"] <= slo.reconnect_max_ms,
            )
        )
    out.extend(s.get("kind_checks", []))
    return out
