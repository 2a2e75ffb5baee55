"""The verdict of a run: PASS, FAIL or GENERATOR-BOUND, its one-line headline, the
runner's exit status, and the lines printed at the end of a run.

Every latency the load test measures is the server's time plus the load generator's
own (its event loop, its decoding, its bookkeeping). The runner measures the generator's
share before the run (:mod:`loadtests.calibration`: the same users against a reference
server that does nearly nothing) and while the activities are live (its loop lag). When
that share is more than :data:`GENERATOR_SHARE` of an objective, the latency figures
describe the generator as much as the server: the run is GENERATOR-BOUND, and its
latency checks are reported as upper bounds of the server's latency, neither passed nor
failed. Every other check (failures, missed broadcasts, tallies) still fails the run.
docs/loadtest.md ("Verdicts") says why half.
"""

from __future__ import annotations

import shlex
from typing import Any

from loadtests import catalog
from loadtests.checks import LATENCY, Slo

PASS = "PASS"
FAIL = "FAIL"
GENERATOR_BOUND = "GENERATOR-BOUND"
#: the runner's exit status per verdict (2 is a usage error, as argparse has it)
EXIT_STATUS = {PASS: 0, FAIL: 1, GENERATOR_BOUND: 3}
#: the share of an objective the load generator may take by itself (its floor against
#: the reference server, or its loop lag while live) before latency is not judged
GENERATOR_SHARE = 0.5
#: mean CPU (% of one core) of other programs above which a run is flagged as contended
CONTENDED_CPU = 30.0
#: options a suggested command drops from the run's own (the suggestion sets them)
_REPLACED = {"--split-cores": 0, "--distributed": 1, "--external-workers": 1, "--out": 1}
_REPLACED |= {"--web": 0, "--web-port": 1, "--master-bind-host": 1, "--master-port": 1}


def fmt(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:,.1f}".rstrip("0").rstrip(".")
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def exit_status(verdicts: list[str]) -> int:
    """0 when every scenario passed, 1 when any failed, else 3 (any generator-bound)."""
    if any(v == FAIL for v in verdicts):
        return EXIT_STATUS[FAIL]
    if any(v == GENERATOR_BOUND for v in verdicts):
        return EXIT_STATUS[GENERATOR_BOUND]
    return EXIT_STATUS[PASS] if verdicts else EXIT_STATUS[FAIL]


def _share(name: str, value: Any, objective: str, target: float) -> dict[str, Any]:
    limit = GENERATOR_SHARE * target
    over = isinstance(value, int | float) and value > limit
    return {
        "name": name,
        "value": value,
        "objective": objective,
        "target": target,
        "limit": limit,
        "over": over,
    }


def generator_share(s: dict[str, Any], slo: Slo) -> dict[str, Any]:
    """The generator's own figures beside the objectives they eat into, and whether any
    takes more than :data:`GENERATOR_SHARE` of its objective (``bound``)."""
    calibration = s.get("calibration") or {}
    floor = calibration.get("floor") or {}
    live = (s.get("live_phase") or {}).get("generator_loop_lag_ms") or {}
    fanout, ack = slo.fanout_p99_ms, slo.ack_p99_ms
    lowest = min(fanout, ack)
    figures = [
        _share("generator floor fan-out p99", floor.get("fanout_p99"), "fan-out p99", fanout),
        _share("generator floor vote ack p99", floor.get("ack_p99"), "vote ack p99", ack),
        _share("generator loop lag p99 while live", live.get("p99"), "lower latency", lowest),
    ]
    bound = any(f["over"] for f in figures)
    return {
        "share": GENERATOR_SHARE,
        "calibrated": bool(floor),
        "figures": figures,
        "bound": bound,
        "way_out": way_out(s["run"]) if bound else [],
    }


def way_out(run: dict[str, Any]) -> list[str]:
    """The commands that give the load generator more room: its own cores, its own
    processes, its own machines (the run's other options kept)."""
    argv = [str(a) for a in run.get("argv") or []]
    kept: list[str] = []
    skip = 0
    for arg in argv:
        if skip:
            skip -= 1
            continue
        name = arg.split("=", 1)[0]
        if name in _REPLACED:
            skip = _REPLACED[name] if "=" not in arg else 0
            continue
        kept.append(arg)
    base = "./scripts/dev loadtest" + ("" if not kept else " " + shlex.join(kept))
    return [
        f"{base} --split-cores",
        f"{base} --distributed 2",
        f"{base} --external-workers 2 --master-bind-host 0.0.0.0 --master-port 5557"
        "   # then on each other machine: locust -f loadtests/locustfile.py --worker "
        "--master-host <this machine> --master-port 5557",
    ]


def latency_figures(s: dict[str, Any]) -> list[tuple[str, float, float]]:
    """(check name, measured, objective) of every latency check that measured anything."""
    found = []
    names = {c["name"] for c in s["checks"]}
    for name, (key, figure, field) in LATENCY.items():
        measured = s["latency"].get(key) or {}
        if name in names and measured.get("count"):
            found.append((name, float(measured[figure]), float(s["slo"][field])))
    return found


def judge(s: dict[str, Any], slo: Slo) -> None:
    """Set ``generator``, the latency checks' judgement, ``verdict`` and ``headline``."""
    s["generator"] = generator = generator_share(s, slo)
    for c in s["checks"]:
        c.setdefault("judged", True)  # the kinds' own checks come as they are
    if generator["bound"]:
        measured = {name for name, _, _ in latency_figures(s)}
        for c in s["checks"]:
            if c["name"] in measured:
                c.update(judged=False, ok=None, actual=f"<= {fmt(c['actual'])} ms, not judged")
    if any(c["ok"] is False for c in s["checks"]):
        s["verdict"] = FAIL
    elif generator["bound"]:
        s["verdict"] = GENERATOR_BOUND
    else:
        s["verdict"] = PASS
    s["headline"] = headline(s)


def headline(s: dict[str, Any]) -> str:
    """One line: the verdict and the figure nearest its limit (for FAIL, the worst
    failed check; for GENERATOR-BOUND, the generator's figure furthest over its share)."""
    verdict = str(s["verdict"])
    figures = latency_figures(s)
    nearest = max(figures, key=lambda f: f[1] / f[2], default=None)
    if verdict == GENERATOR_BOUND:
        over = [f for f in s["generator"]["figures"] if f["over"]]
        worst = max(over, key=lambda f: f["value"] / f["limit"])
        line = (
            f"{verdict}: {worst['name']} {fmt(float(worst['value']))} ms of the "
            f"{fmt(worst['target'])} ms {worst['objective']} objective (over "
            f"{GENERATOR_SHARE:.0%})"
        )
        if nearest is not None:
            line += f"; {nearest[0]} {fmt(nearest[1])} ms, not judged"
        return line
    if verdict == FAIL:
        failed = [c for c in s["checks"] if c["ok"] is False]
        late = [f for f in figures if f[1] > f[2] and f[0] in {c["name"] for c in failed}]
        if late:
            name, value, target = max(late, key=lambda f: f[1] / f[2])
            return f"{verdict}: {name} {fmt(value)} ms of {fmt(target)} ms"
        c = failed[0]
        return f"{verdict}: {c['name']}: {fmt(c['actual'])} (target {c['target']})"[:200]
    if nearest is None:
        return verdict
    return f"{verdict}: {nearest[0]} {fmt(nearest[1])} ms of {fmt(nearest[2])} ms"


def diagnosis(s: dict[str, Any]) -> list[str]:
    """Facts that explain a latency miss (or a latency not judged): where the time could
    have gone."""
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
        f"the load generator's own loop lag p99 was {fmt(glag)} ms: that much of each "
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
        s["headline"],
        f"  {s['run']['scenario']} with {s['run']['users']:,} users ({s['run']['mode']}): "
        f"{s['verdict']}",
        f"  join max {fmt(lat['join']['max'])} ms, fan-out p50/p99 "
        f"{fmt(lat['fanout']['p50'])}/{fmt(lat['fanout']['p99'])} ms over "
        f"{lat['fanout']['count']:,} broadcasts, vote ack p99 {fmt(lat['ack_vote']['p99'])} ms",
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
            f"{fmt(gl['p99'])} ms"
        )
    lag = s["generator_loop_lag_ms"]
    other = res.get("other", {})
    lines.append(
        f"  load generator loop lag p99/max {fmt(lag['p99'])}/{fmt(lag['max'])} ms; "
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
    lines += generator_lines(s)
    for c in s["checks"]:
        mark = "n/j " if not c.get("judged", True) else "ok  " if c["ok"] else "FAIL"
        lines.append(f"  [{mark}] {c['name']}: {fmt(c['actual'])} (target {c['target']})")
    facts = diagnosis(s)
    if facts:
        lines.append("  where the latency could have gone, as far as measured:")
        lines += [f"    - {fact}" for fact in facts]
    if s["generator"]["bound"]:
        lines.append(
            f"  GENERATOR-BOUND: the load generator took more than {GENERATOR_SHARE:.0%} of an "
            "objective by itself, so the latency figures are upper bounds of the server's, "
            "not judged. Give the generator its own cores or machines:"
        )
        lines += [f"    {command}" for command in s["generator"]["way_out"]]
    return "\n".join(lines)


def generator_lines(s: dict[str, Any]) -> list[str]:
    """The generator's share: its figures beside the limits (and why one is missing)."""
    calibration = s.get("calibration") or {}
    parts = [
        f"{f['name']} {fmt(f['value'])} ms (limit {fmt(f['limit'])} ms"
        + (": OVER)" if f["over"] else ")")
        for f in s["generator"]["figures"]
    ]
    lines = ["  the generator's share: " + "; ".join(parts)]
    if not s["generator"]["calibrated"]:
        lines.append(
            f"  not calibrated: {calibration.get('skipped') or calibration.get('error') or '-'}"
        )
    return lines
