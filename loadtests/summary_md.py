"""``summary.md``: the run for a reader, headline first (the verdict and the figure
nearest its limit), then the checks, the generator's share, latency, tallies, resources
and the files."""

from __future__ import annotations

from typing import Any

from loadtests import names
from loadtests.verdict import GENERATOR_SHARE, diagnosis, fmt


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
        f"# {s['headline']}",
        "",
        f"Load test: {run['scenario']}, {run['users']:,} users, {run['mode']} mode: "
        f"**{s['verdict']}**. {run.get('scenario_summary', '')}",
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
        status = "not judged" if not c.get("judged", True) else "ok" if c["ok"] else "**FAIL**"
        lines.append(f"| {c['name']} | {c['target']} | {fmt(c['actual'])} | {status} |")
    lines += generator_section(s)
    facts = diagnosis(s)
    if facts:
        lines += ["", "Where the latency could have gone, as far as measured:", ""]
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
            f"| {label} | {fmt(m['count'])} | {fmt(m['p50'])} | {fmt(m['p90'])} | "
            f"{fmt(m['p99'])} | {fmt(m['max'])} | {fmt(m['failures'])} |"
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
            room_export = f" {fmt(t.get('room_export_total'))} |" if rooms else ""
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
            f"Load generator loop lag while live: p50 {fmt(gl['p50'])} ms, p99 "
            f"{fmt(gl['p99'])} ms, max {fmt(gl['max'])} ms.",
        ]
    lag = s["generator_loop_lag_ms"]
    lines += [
        "",
        f"Load generator event-loop lag (how late a 100 ms timer fires in a Locust worker; "
        f"measured latencies include it): p50 {fmt(lag['p50'])} ms, p99 {fmt(lag['p99'])} "
        f"ms, max {fmt(lag['max'])} ms. `other` is CPU used by programs outside this test"
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


def generator_section(s: dict[str, Any]) -> list[str]:
    """The load generator's share of the objective: its floor against the reference
    server (calibration) and its loop lag while live, beside the limits."""
    generator = s["generator"]
    calibration = s.get("calibration") or {}
    lines = [
        "",
        "## The load generator's share",
        "",
        f"Latency is judged only while the generator's own figures stay within "
        f'{GENERATOR_SHARE:.0%} of the objective (docs/loadtest.md, "Verdicts").',
        "",
        "| figure | measured (ms) | limit (ms) | of the objective | |",
        "|---|---|---|---|---|",
    ]
    for f in generator["figures"]:
        lines.append(
            f"| {f['name']} | {fmt(f['value'])} | {fmt(f['limit'])} | {f['objective']} "
            f"{fmt(f['target'])} ms | {'**over**' if f['over'] else 'ok'} |"
        )
    if calibration.get("floor"):
        floor = calibration["floor"]
        lines += [
            "",
            f"Calibration: {calibration['users']:,} users of the same client against "
            f"{calibration['server']} for {fmt(calibration['seconds'])} s: fan-out p50/p99 "
            f"{fmt(floor['fanout_p50'])}/{fmt(floor['fanout_p99'])} ms over "
            f"{floor['fanout_count']:,} broadcasts, vote ack p99 {fmt(floor['ack_p99'])} ms "
            f"over {floor['ack_count']:,} acks, generator loop lag p99 "
            f"{fmt(floor['loop_lag_p99'])} ms.",
        ]
    else:
        why = calibration.get("skipped") or calibration.get("error") or "-"
        lines += ["", f"Not calibrated: {why}."]
    if generator["bound"]:
        lines += [
            "",
            "**Generator-bound**: the latency figures above are upper bounds of the "
            "server's. Give the generator its own cores or machines:",
            "",
            "```",
            *generator["way_out"],
            "```",
        ]
    return lines
