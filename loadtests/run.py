"""One command for a load test: ``./scripts/dev loadtest [options]``
(= ``python -m loadtests.run``).

It starts Plenary (embedded: one ``plenary serve`` with the memory store; redis: N
``plenary serve`` processes on different ports sharing a redis-server it starts on a free
port), creates an event, runs Locust headless (``--processes`` workers, or a separate
master and worker processes with ``--distributed``), samples CPU and memory, then writes
Locust's CSV and HTML report plus ``summary.md``/``summary.json``/``timeline.png`` and
prints the verdict. Before the run it calibrates the load generator (the same users
against a reference server, :mod:`loadtests.calibration`); the verdict is PASS, FAIL or
GENERATOR-BOUND (:mod:`loadtests.verdict`), and so is the exit status: 0, 1 or 3.
With ``--web`` Locust's own web UI drives the run (start, stop, users, spawn rate).

Examples::

    ./scripts/dev loadtest                                   # plenary_poll, 1,000 users
    ./scripts/dev loadtest --scenario all                    # every scenario in turn
    ./scripts/dev loadtest --mode redis --server-processes 2 --users 2000
    ./scripts/dev loadtest --distributed 2                   # master + 2 worker processes
    ./scripts/dev loadtest --sweep                           # capacity sweep
    ./scripts/dev loadtest --web                             # from Locust's web UI
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Sequence
from datetime import datetime
from pathlib import Path
from typing import IO, Any

import psutil

from loadtests import calibration, catalog, names, report, scenarios, verdict
from loadtests.common import ROOT, say
from loadtests.monitor import ResourceMonitor, server_view, wait_until_quiet, with_children
from loadtests.report import Slo
from loadtests.servers import Deployment, export_ref, free_port, source_info
from loadtests.settings import CLIENT_CHOICES, DEFAULT_DEADLINE_S, with_rooms

LOCUSTFILE = ROOT / "loadtests" / "locustfile.py"
#: Every simulated attendee connects from 127.0.0.1, so the server's per-IP join limit
#: (default 100/s, bursts of 1,000) would throttle what are, in production, thousands of
#: different addresses. Raise it for load tests; every other setting stays at its default.
SERVER_ENV = {
    "PLENARY_JOINS_PER_SECOND_PER_IP": "1000000",
    "PLENARY_JOINS_BURST_PER_IP": "1000000",
}
#: beyond the scenario's own time limit: Locust start-up, stopping, final reports
WALL_MARGIN_S = 120.0


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="loadtest",
        description="Run a Plenary load test with Locust and judge it against the SLO.",
    )
    p.add_argument(
        "--scenario",
        default="plenary_poll",
        choices=[*catalog.all_scenarios(), "all"],
        help="scenario to run, or all of them in turn (default plenary_poll)",
    )
    p.add_argument("--users", type=int, default=1000, help="attendees (default 1000)")
    p.add_argument("--mode", choices=["embedded", "redis"], default="embedded")
    p.add_argument(
        "--server-processes",
        type=int,
        default=2,
        help="plenary serve processes in redis mode (default 2)",
    )
    p.add_argument(
        "--locust-processes",
        type=int,
        default=2,
        help="Locust worker processes (--processes); 0 runs Locust in one process "
        "(default 2: one per core of a 2-core machine)",
    )
    p.add_argument(
        "--distributed",
        type=int,
        default=0,
        metavar="W",
        help="run a Locust master and W separate worker processes (--master/--worker) "
        "instead of --processes, as on several machines",
    )
    p.add_argument(
        "--external-workers",
        type=int,
        default=0,
        metavar="W",
        help="start only the Locust master and wait for W workers started elsewhere "
        "(see docs/loadtest.md)",
    )
    p.add_argument(
        "--master-bind-host",
        default="127.0.0.1",
        help="where the Locust master listens for workers (default 127.0.0.1)",
    )
    p.add_argument("--master-port", type=int, default=0, help="master port (default: free)")
    p.add_argument(
        "--target",
        default="",
        help="comma-separated URLs of a running deployment (no server is started)",
    )
    p.add_argument("--admin-token", default="", help="admin token of --target")
    p.add_argument("--out", default="", help="output directory (default reports/<run>)")
    p.add_argument("--vote-window", type=float, default=None, help="override, seconds")
    p.add_argument("--join-rate", type=float, default=None, help="override, joins/s")
    p.add_argument(
        "--rooms",
        type=int,
        default=None,
        help="breakout rooms of a scenario with rooms (rooms: 14); others ignore it",
    )
    p.add_argument(
        "--deadline",
        type=float,
        default=DEFAULT_DEADLINE_S,
        help="seconds an expected broadcast may take (default 5)",
    )
    p.add_argument("--time-limit", type=float, default=0, help="seconds (default: scenario's)")
    p.add_argument("--slo-fanout-p99", type=float, default=Slo.fanout_p99_ms, help="ms")
    p.add_argument("--slo-ack-p99", type=float, default=Slo.ack_p99_ms, help="ms")
    p.add_argument("--slo-join-max", type=float, default=Slo.join_max_ms, help="ms")
    p.add_argument("--slo-reconnect-max", type=float, default=Slo.reconnect_max_ms, help="ms")
    p.add_argument(
        "--quiet",
        action="store_true",
        help="no periodic Locust statistics tables (phase messages only)",
    )
    p.add_argument("--server-log-level", default="WARNING")
    p.add_argument(
        "--wait-quiet",
        type=float,
        default=60.0,
        metavar="S",
        help="before starting Locust, wait up to S seconds for the machine's CPU to drop "
        "under 40 %% of one core (other programs skew the figures); 0 to skip",
    )
    p.add_argument(
        "--split-cores",
        action="store_true",
        help="pin the server (and Redis) to the first half of the cores and Locust to the "
        "other half, so they do not compete for the same core",
    )
    p.add_argument(
        "--server-ref",
        default="",
        help="run the server as of this git commit/branch/tag (extracted with git archive "
        "into the output directory) instead of the working tree",
    )
    p.add_argument("--sweep", action="store_true", help="run the capacity sweep instead")
    p.add_argument(
        "--client",
        choices=CLIENT_CHOICES,
        default=CLIENT_CHOICES[0],
        help="the users' Socket.IO client: lean (default; measures at the wire, see "
        "docs/loadtest.md) or socketio (python-socketio's client)",
    )
    p.add_argument(
        "--no-calibrate",
        action="store_true",
        help="skip the load generator's calibration against the reference server (then "
        "only its loop lag can make the run GENERATOR-BOUND)",
    )
    p.add_argument(
        "--web",
        action="store_true",
        help="drive the run from Locust's web UI on 127.0.0.1 (start, stop, users, spawn "
        "rate); the report is written when the run stops",
    )
    p.add_argument("--web-port", type=int, default=0, help="web UI port (default: free)")
    # Tests only: every user sleeps this long in its message handler (a slow generator).
    p.add_argument("--handler-delay-ms", type=float, default=0.0, help=argparse.SUPPRESS)
    return p


class Output:
    """Copies child output lines to our stdout and a log file (one thread per pipe)."""

    def __init__(self, log: Path) -> None:
        self.handle = log.open("a", buffering=1)
        self.lock = threading.Lock()
        self.threads: list[threading.Thread] = []

    def pump(self, pipe: IO[bytes], prefix: str = "") -> None:
        def run() -> None:
            for raw in iter(pipe.readline, b""):
                line = prefix + raw.decode(errors="replace")
                with self.lock:
                    sys.stdout.write(line)
                    self.handle.write(line)
            sys.stdout.flush()

        thread = threading.Thread(target=run, daemon=True)
        thread.start()
        self.threads.append(thread)

    def close(self) -> None:
        for thread in self.threads:
            thread.join(5)
        self.handle.close()


def locust_command(
    args: argparse.Namespace,
    scenario: scenarios.Scenario,
    urls: list[str],
    event: dict[str, Any],
    out: Path,
    master_port: int,
) -> list[str]:
    """The Locust master's (or single process's) command line."""
    users = args.users + 1  # the attendees and the presenter
    cmd = [sys.executable, "-m", "locust", "-f", str(LOCUSTFILE)]
    if getattr(args, "web", False):
        # The form's users and spawn rate start at these; the time limit follows the form.
        cmd += ["--web-host", "127.0.0.1", "--web-port", str(args.web_port)]
        cmd += ["-r", f"{scenario.spawn_rate(users):g}"]
    else:
        cmd += ["--headless"]
    # The calibration's users may just go, and so may a web UI run's: Stop means now.
    stop_timeout = getattr(args, "stop_timeout", 0 if getattr(args, "web", False) else 15)
    cmd += ["-u", str(users), "-H", urls[0], "--stop-timeout", str(stop_timeout)]
    # "--name=value": a presenter key may start with "-", which argparse would take for
    # an option.
    cmd += [f"--plenary-urls={','.join(urls)}", f"--plenary-event={event['code']}"]
    cmd += [f"--plenary-key={event['presenter_key']}", "--plenary-scenario", scenario.name]
    cmd += ["--plenary-deadline", str(args.deadline), "--plenary-out", str(out)]
    if not getattr(args, "web", False):
        cmd += ["--plenary-users", str(users)]
        cmd += ["--plenary-time-limit", str(time_limit(args, scenario))]
    if getattr(args, "handler_delay_ms", 0):
        cmd += ["--plenary-handler-delay-ms", str(args.handler_delay_ms)]
    cmd += ["--plenary-client", args.client]
    if args.vote_window is not None:
        cmd += ["--plenary-vote-window", str(args.vote_window)]
    if args.join_rate is not None:
        cmd += ["--plenary-join-rate", str(args.join_rate)]
    if args.rooms is not None:
        cmd += ["--plenary-rooms", str(args.rooms)]
    prefix = out / names.LOCUST_PREFIX
    cmd += ["--csv", str(prefix), "--csv-full-history", "--html", str(out / names.HTML_REPORT)]
    if args.quiet:
        cmd += ["--only-summary"]
    workers = args.distributed or args.external_workers
    if workers:
        cmd += ["--master", "--expect-workers", str(workers)]
        cmd += ["--master-bind-host", args.master_bind_host]
        cmd += ["--master-bind-port", str(master_port), "--expect-workers-max-wait", "120"]
    elif args.locust_processes > 0:
        cmd += ["--processes", str(args.locust_processes)]
        cmd += ["--master-bind-host", "127.0.0.1", "--master-bind-port", str(master_port)]
        cmd += ["--master-port", str(master_port)]
    return cmd


def worker_command(
    master_host: str, master_port: int, locustfile: str = str(LOCUSTFILE)
) -> list[str]:
    """A Locust worker's command line (run it on any machine that can reach the master
    and the servers; ``-f -`` would fetch the locustfile from the master, but the
    ``loadtests`` package must be importable there anyway)."""
    return [
        sys.executable,
        "-m",
        "locust",
        "-f",
        locustfile,
        "--worker",
        "--master-host",
        master_host,
        "--master-port",
        str(master_port),
    ]


def start_locust(
    args: argparse.Namespace,
    cmd: list[str],
    env: dict[str, str],
    output: Output,
    master_port: int,
    pin: Callable[[], None],
) -> list[subprocess.Popen[bytes]]:
    """Start Locust (``cmd``: the master, or its only process) and, with
    ``--distributed``, its worker processes; returns them, the master first."""
    master = subprocess.Popen(
        cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, preexec_fn=pin
    )
    output.pump(master.stdout)  # type: ignore[arg-type]
    started = [master]
    if args.distributed:
        time.sleep(1.0)  # let the master bind its port
        for i in range(args.distributed):
            worker = subprocess.Popen(
                worker_command("127.0.0.1", master_port),
                cwd=ROOT,
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                preexec_fn=pin,
            )
            started.append(worker)
            output.pump(worker.stdout, prefix=f"[worker {i}] ")  # type: ignore[arg-type]
    return started


def wait_locust(children: list[subprocess.Popen[bytes]], timeout: float | None) -> bool:
    """Wait for the Locust master (``timeout`` None: a web UI run, until it stops or
    Ctrl-C), then its workers, killing what is left; False when the master hung."""
    master = children[0]
    finished = True
    try:
        master.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        finished = False
    except KeyboardInterrupt:
        # Ctrl-C in a terminal reaches Locust too (same process group): it writes its
        # reports and quits. A SIGINT to the runner alone is passed on.
        say("interrupted: waiting for Locust to write its reports")
        try:
            master.wait(timeout=5)
        except subprocess.TimeoutExpired:
            master.send_signal(signal.SIGINT)
    for child in children:
        try:
            child.wait(timeout=30)
        except subprocess.TimeoutExpired:
            for proc in reversed(with_children(child.pid)):
                with contextlib.suppress(psutil.Error):
                    proc.kill()
            child.wait(10)
    return finished


def calibrate(
    args: argparse.Namespace,
    scenario: scenarios.Scenario,
    out: Path,
    env: dict[str, str],
    pin: Callable[[], None],
    server_cpus: set[int] | None,
) -> dict[str, Any]:
    """The load generator's floor (:mod:`loadtests.calibration`), or why it was skipped."""
    if args.no_calibrate:
        return {"skipped": "--no-calibrate"}
    if args.web:
        return {"skipped": "--web (the users are chosen in the web UI)"}
    if args.external_workers:
        return {"skipped": "--external-workers (the workers run elsewhere)"}
    port = free_port()

    def command(
        options: argparse.Namespace,
        round_: scenarios.Scenario,
        urls: list[str],
        event: dict[str, Any],
        where: Path,
    ) -> list[str]:
        return locust_command(options, round_, urls, event, where, port)

    def launch(cmd: list[str], where: Path, limit: float) -> int | None:
        output = Output(where / "locust.log")
        children = start_locust(args, cmd, env, output, port, pin)
        try:
            wait_locust(children, limit + WALL_MARGIN_S)
        finally:
            output.close()
        return children[0].returncode

    result = calibration.run(args, scenario, out / "calibration", command, launch, say, server_cpus)
    floor = result.get("floor")
    if floor:
        say(
            f"the generator's floor: fan-out p99 {floor['fanout_p99']:g} ms, vote ack p99 "
            f"{floor['ack_p99']:g} ms"
        )
    else:
        say(f"calibration failed: {result.get('error')}")
    return result


def web_users(out: Path, meta: dict[str, Any]) -> None:
    """A web UI run: the users the form started (the presenter's count, else the most
    Locust ran), not the command line's."""
    try:
        presenter = json.loads((out / names.RESULTS_FILE).read_text()).get("presenter") or {}
    except (OSError, ValueError):
        presenter = {}
    users = int(presenter.get("attendees_expected", -1)) + 1
    if users <= 0:
        history = out / f"{names.LOCUST_PREFIX}_stats_history.csv"
        rows = history.read_text().splitlines()[1:] if history.exists() else []
        counts = [int(r.split(",")[1]) for r in rows if r.count(",") > 2]
        users = max(counts, default=0)
    if users > 0:
        meta["users"], meta["attendees"] = users, users - 1


def split_cores() -> tuple[set[int], set[int]]:
    """(server cores, Locust cores): the first half of the usable cores, the rest."""
    cores = sorted(os.sched_getaffinity(0))
    if len(cores) < 2:
        return set(cores), set(cores)
    half = len(cores) // 2
    return set(cores[:half]), set(cores[half:])


def time_limit(args: argparse.Namespace, scenario: scenarios.Scenario) -> float:
    return float(args.time_limit or scenario.time_limit_s(args.users + 1))


def run_scenario(args: argparse.Namespace, name: str, out: Path) -> dict[str, Any]:
    """Run one scenario end to end; returns its summary."""
    scenario = with_rooms(
        catalog.scenario(name).with_overrides(
            vote_window_s=args.vote_window, join_rate=args.join_rate
        ),
        args.rooms,
    )
    out.mkdir(parents=True, exist_ok=True)
    out = out.resolve()
    started = time.time()
    say(f"scenario {name}: {scenario.summary}")
    say(f"output in {out}")
    server_cpus, locust_cpus = split_cores() if args.split_cores else (None, None)
    server_path = None
    if args.server_ref and not args.target:
        sha = export_ref(ROOT, args.server_ref, out / "server-src")
        server_path = str(out / "server-src" / "server")
        server_source: dict[str, Any] = {"ref": args.server_ref, "commit": sha}
        say(f"server code as of {args.server_ref} ({sha[:10]})")
    elif args.target:
        server_source = {"external": args.target}
    else:
        server_source = {"working_tree": True, **source_info(ROOT)}

    def pin_locust() -> None:
        if locust_cpus:
            os.sched_setaffinity(0, locust_cpus)

    if args.target:
        deployment = Deployment(
            mode="external",
            external_urls=tuple(u.strip().rstrip("/") for u in args.target.split(",")),
            admin_token=args.admin_token,
            log_dir=out,
        )
    else:
        deployment = Deployment(
            mode=args.mode,
            processes=args.server_processes,
            log_dir=out,
            log_level=args.server_log_level,
            env=SERVER_ENV,
            cpus=server_cpus,
            server_path=server_path,
            own_process_group=args.web,
        )
    meta: dict[str, Any] = {
        "scenario": name,
        "scenario_summary": scenario.summary,
        "users": args.users + 1,
        "attendees": args.users,
        "mode": deployment.mode,
        "server_processes": len(deployment.urls)
        if args.target
        else (args.server_processes if args.mode == "redis" else 1),
        "started": datetime.fromtimestamp(started).isoformat(timespec="seconds"),
        "out": str(out),
        "cores": psutil.cpu_count(),
        "argv": sys.argv[1:],
        "crashed": [],
        "server_source": server_source,
        "cores_split": (
            {"server": sorted(server_cpus or []), "locust": sorted(locust_cpus or [])}
            if args.split_cores
            else None
        ),
    }
    monitor = ResourceMonitor(out / names.RESOURCES_CSV)
    output = Output(out / "locust.log")
    children: list[subprocess.Popen[bytes]] = []
    calibrated: dict[str, Any] = {"error": "the run stopped before the calibration"}
    try:
        say("starting the server" + ("" if args.target else f" ({args.mode} mode)"))
        deployment.start(say)
        urls = deployment.urls
        event = deployment.create_event(f"Load test {name} ({args.users} attendees)")
        say(f"event {event['code']} created on {urls[0]}")
        meta["urls"] = urls
        meta["server_desc"] = (
            f"{len(urls)} x plenary serve" + (" + redis-server" if deployment.redis else "")
            if not args.target
            else f"external: {', '.join(urls)}"
        )
        monitor.add("server", deployment.server_processes)
        monitor.metrics_urls = list(urls)
        if deployment.redis:
            monitor.add("redis", deployment.redis_processes)

        if args.wait_quiet > 0:
            samples = wait_until_quiet(args.wait_quiet, 40.0, say)
            meta["machine_cpu_before"] = samples[-3:]
        env = {**os.environ, "PYTHONUNBUFFERED": "1", "PYTHONPATH": str(ROOT)}
        calibrated = calibrate(args, scenario, out, env, pin_locust, server_cpus)
        meta["crashed"] += deployment.check_alive()  # the server idled meanwhile
        master_port = args.master_port or free_port()
        cmd = locust_command(args, scenario, urls, event, out, master_port)
        limit = time_limit(args, scenario)
        workers = args.distributed or args.external_workers
        if workers:
            meta["locust_desc"] = f"Locust master + {workers} worker processes (--master/--worker)"
        elif args.locust_processes:
            meta["locust_desc"] = f"Locust --processes {args.locust_processes} (+ master)"
        else:
            meta["locust_desc"] = "Locust in one process"
        meta["client"] = args.client
        meta["locust_desc"] += f", {args.client} Socket.IO client"
        say(
            f"running Locust: {args.users} attendees + 1 presenter, joins at "
            f"{scenario.spawn_rate(args.users + 1):.0f}/s, {meta['locust_desc']}, "
            f"limit {limit:.0f} s"
        )
        children += start_locust(args, cmd, env, output, master_port, pin_locust)
        master = children[0]
        if args.external_workers:
            say(
                f"waiting for {args.external_workers} worker(s); on each machine run:\n    "
                + " ".join(
                    worker_command(args.master_bind_host, master_port, "loadtests/locustfile.py")[
                        1:
                    ]
                ).replace("-m locust", "locust")
            )
        if args.web:
            meta["web"] = {"url": f"http://127.0.0.1:{args.web_port}/"}
            say(
                f"Locust's web UI: {meta['web']['url']} (set the users and spawn rate, "
                "start; the report is written when the run stops, or on Ctrl-C)"
            )
        monitor.add("locust", lambda: [p for proc in children for p in with_children(proc.pid)])
        monitor.start()
        if not wait_locust(children, None if args.web else limit + WALL_MARGIN_S):
            say(f"Locust did not stop within {limit + WALL_MARGIN_S:.0f} s: stopped it")
            meta["crashed"].append("locust (hung)")
        monitor.stop()
        meta["other_programs_cpu_s"] = monitor.top_others()
        lags = [lag for _, _, lag in monitor.server_lag]
        meta["server_loop_lag_ms"] = (
            {"samples": len(lags), "max": round(max(lags) * 1000, 1)} if lags else None
        )
        meta["server_view"] = server_view(list(urls))
        meta["locust_exit_code"] = master.returncode
        meta["duration_s"] = time.time() - started
        meta["crashed"] += deployment.check_alive()
        meta["server_log_errors"] = deployment.log_errors()
        try:
            meta["export"] = deployment.export(event["code"], event["presenter_key"])
            (out / names.EXPORT_FILE).write_text(json.dumps(meta["export"], indent=1))
        except Exception as exc:  # recorded; the tally check then fails
            say(f"export failed: {exc}")
            meta["export_error"] = str(exc)
        rooms = programme(out)
        if len(rooms) > 1:
            # Each room's own export too: every activity must be in its room's, exactly.
            meta["room_exports"] = {}
            for room in rooms:
                try:
                    meta["room_exports"][room] = deployment.export(
                        event["code"], event["presenter_key"], room=room
                    )
                except Exception as exc:  # recorded; the tally check then fails
                    say(f"export of room {room} failed: {exc}")
                    meta.setdefault("room_export_errors", {})[room] = str(exc)
    finally:
        for child in children:
            if child.poll() is None:
                for proc in reversed(with_children(child.pid)):
                    with contextlib.suppress(psutil.Error):
                        proc.kill()
        if monitor.running:
            monitor.stop()
        say("stopping the server")
        meta["server_exit_codes"] = deployment.stop()
        if server_path:
            shutil.rmtree(out / "server-src", ignore_errors=True)
        output.close()
    meta.setdefault("duration_s", time.time() - started)
    meta.setdefault("locust_desc", "-")
    meta.setdefault("server_desc", "-")
    slo = Slo(
        fanout_p99_ms=args.slo_fanout_p99,
        ack_p99_ms=args.slo_ack_p99,
        join_max_ms=args.slo_join_max,
        reconnect_max_ms=args.slo_reconnect_max,
    )
    if args.web:
        web_users(out, meta)
    summary = report.build(out, meta, slo, calibrated)
    report.write(out, summary)
    return summary


def programme(out: Path) -> list[str]:
    """The room ids the presenter reported (main first), or [] (no rooms)."""
    path = out / names.RESULTS_FILE
    try:
        presenter = json.loads(path.read_text()).get("presenter") or {}
    except (OSError, ValueError):
        return []
    return [str(room) for room in presenter.get("rooms") or []]


def default_out(args: argparse.Namespace, name: str) -> Path:
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    mode = "external" if args.target else args.mode
    if args.mode == "redis" and not args.target:
        mode = f"redis{args.server_processes}"
    return ROOT / "reports" / f"{stamp}-{name}-{mode}-{args.users}"


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if "--sweep" in argv:
        from loadtests import sweep

        return sweep.main([a for a in argv if a != "--sweep"])
    args = parser().parse_args(argv)
    if args.users < 1:
        raise SystemExit("--users must be at least 1")
    if args.web and (args.scenario == "all" or args.external_workers):
        raise SystemExit("--web runs one scenario with local Locust processes")
    if args.web:
        args.web_port = args.web_port or free_port()
    names_to_run = list(catalog.all_scenarios()) if args.scenario == "all" else [args.scenario]
    base = Path(args.out) if args.out else None
    verdicts: list[tuple[str, str, Path]] = []
    for name in names_to_run:
        if base is None:
            out = default_out(args, name)
        else:
            out = base / name if len(names_to_run) > 1 else base
        summary = run_scenario(args, name, out)
        say("verdict\n" + report.verdict_text(summary))
        print(summary["headline"], flush=True)
        say(f"report: {out / names.SUMMARY_MD}  (Locust: {out / names.HTML_REPORT})")
        verdicts.append((name, summary["verdict"], out))
    if len(verdicts) > 1:
        say("all scenarios: " + ", ".join(f"{n} {v}" for n, v, _ in verdicts))
    return verdict.exit_status([v for _, v, _ in verdicts])


if __name__ == "__main__":
    raise SystemExit(main())
