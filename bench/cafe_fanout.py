"""World café delivery (issue 17): starting a round for N people is N personal messages
(``cafe:assignment``, each person's own table and tablemates); how long until all of them
have arrived, against one broadcast to the same N people (``cafe:spotlight``, a harvest
put on the big screen, sized like an assignment), in the same run, embedded and on 2
server processes sharing a redis-server (each person's table going out from the process
that holds their connection).

For each mode it starts Plenary (``plenary serve``, as deployed), connects N attendees
(real websockets, the fan-out benchmark's client harness, ``bench.cafe_fanout_clients``;
in scaled mode every other attendee on the other process) with a realistic roster (the
seating benchmark's: organisations and countries, ``bench.cafe_seating.roster``), a
presenter creates a café (104 tables for 1,000 people) and starts it, everyone joins it
(``cafe:join``), then:

1. round 1, not measured (warm-up), and the harvests for the broadcast: one attendee
   writes them, their text sized so that a ``cafe:spotlight`` frame is as long as the
   average ``cafe:assignment`` frame of round 1; the presenter puts them on screen;
2. ``--rounds`` times, alternating which goes first: a round (``cafe:round``) and a
   broadcast (``cafe:spotlight`` of the same harvest again), one at a time, each waited
   for until every attendee has it.

Per phase: "all arrived" = the last recipient's receipt time - the message's ``ts`` (the
server's time when sending began; all of a round's assignments carry the same ``ts``,
like a broadcast), p50 and p99 per recipient, the time from the presenter's request to
the last receipt (a round's includes seating everyone), the presenter's ack, and server
CPU. The target: a round's "all arrived" within 1.2x the broadcast's (medians over the
rounds). Afterwards it checks that every attendee got exactly one assignment a round,
with the table and tablemates the presenter's ack lists.

    .venv/bin/python -m bench.cafe_fanout                   # 1,000 attendees, both modes
    .venv/bin/python -m bench.cafe_fanout --attendees 40 --rounds 2 --json out.json
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import statistics
import sys
from pathlib import Path
from typing import Any

from bench.cafe_fanout_clients import worker_main
from bench.cafe_seating import roster
from bench.fanout import pct, proc_cpu, samples
from bench.fanout_clients import now_ms
from bench.fanout_modes import LABELS, ModeRun, add_common_arguments, check_modes, run_modes

TARGET = 1.2
TOPICS = [
    "Green transition",
    "Skills for the future",
    "Housing",
    "Health",
    "Mobility",
    "Digital public services",
    "Water",
    "Food systems",
]
JOIN_TAG, HARVEST_TAG = 1, 2
MAX_HARVEST = 500


def say(message: str) -> None:
    sys.stderr.write(f"[cafe-fanout] {message}\n")
    sys.stderr.flush()


def receipts(results: list[dict[str, Any]], name: str) -> tuple[list[float], float, set[float]]:
    """(latencies recv - ts in ms, the last receipt time, the ts values) of ``name``."""
    lat: list[float] = []
    last = 0.0
    stamps: set[float] = set()
    for ts, recv, _ in samples(results, name):
        lat += [b - a for a, b in zip(ts, recv, strict=True)]
        last = max(last, max(recv, default=0.0))
        stamps |= set(ts)
    return lat, last, stamps


def compact(value: Any) -> str:
    """JSON as the server writes it (orjson: no spaces, UTF-8)."""
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


class Run(ModeRun):
    """One mode: its deployment, clients, presenter, café and figures."""

    def __init__(self, mode: str, args: argparse.Namespace, work_dir: Path) -> None:
        super().__init__(mode, args, work_dir, args.attendees, worker_main, say)
        self.cafe_id = ""
        self.acks: dict[int, dict[str, Any]] = {}
        self.spotlights: list[tuple[str, str]] = []  # (author id, harvest id) on screen
        self.figures["attendees"] = self.n

    # -- set-up --------------------------------------------------------------------------
    async def setup(self) -> None:
        assert self.clients is not None
        f = self.figures
        people = roster(self.n, seed=self.args.seed)
        await self.connect_everyone(
            "Café delivery bench",
            lambda i: {
                "name": f"Person {i:05d}",
                "organisation": people[i].organisation,
                "country": people[i].country,
            },
        )
        assert self.presenter is not None

        tables = self.args.tables or max(1, round(self.n * 104 / 1000))
        created = await self.presenter.call(
            "cafe:create",
            {
                "title": "Delivery bench",
                "tables": tables,
                "rounds": self.args.rounds + 1,
                "round_s": 3600,
                "topics": TOPICS,
                "room_url": "https://video.example/{event}-{table}",
            },
        )
        self.cafe_id = created["cafe"]["id"]
        f["tables"] = tables
        await self.presenter.call("cafe:start", {"cafe_id": self.cafe_id})
        joins = await self.clients.all("join", cafe_id=self.cafe_id, tag=JOIN_TAG, timeout=120)
        f["joined"] = sum(j["acked"] for j in joins)
        f["join_errors"] = sum(j["errors"] for j in joins)
        if f["joined"] != self.n or f["join_errors"]:
            raise RuntimeError(f"joins: {joins}")
        await asyncio.sleep(1.0)

        # Round 1 (warm-up, not measured) and the harvests for the broadcast.
        await self.round(1)
        kept = await self.kept()
        frames = [p.encode() for v in kept.values() for p in v]
        target = statistics.mean(len(p) for p in frames)
        f["assignment_bytes"] = {
            "mean": round(target),
            "min": min(len(p) for p in frames),
            "max": max(len(p) for p in frames),
        }
        await self.make_harvests(kept, target)

    async def kept(self) -> dict[int, list[str]]:
        """Every assignment frame each attendee received so far, by attendee index."""
        assert self.clients is not None
        kept: dict[int, list[str]] = {}
        for part in await self.clients.all("kept"):
            kept.update({int(k): v for k, v in part.items()})
        return kept

    async def make_harvests(self, kept: dict[int, list[str]], target: float) -> None:
        """Harvests whose ``cafe:spotlight`` frame is as long as an average assignment,
        written by the first attendees and put on the big screen (not measured)."""
        assert self.clients is not None and self.presenter is not None
        first = self.shares[0]
        seat = json.loads(kept[first[0]][0][2:])[1]
        entry = {
            "author_id": self.ids[first[0]],
            "author_name": f"Person {first[0]:05d}",
            "harvest_id": "h-0",
            "round": 1,
            "table": seat["table"],
            "topic": seat["topic"],
            "text": "",
        }
        frame = ["cafe:spotlight", {"cafe_id": self.cafe_id, "harvests": [], "ts": int(now_ms())}]
        base = len(("42" + compact(frame)).encode())
        per = len(compact(entry).encode()) + 1  # with its comma
        count = max(1, math.ceil((target - base) / (per + MAX_HARVEST)))
        length = max(1, min(MAX_HARVEST, round((target - base - per * count) / count)))
        for k in range(count):
            index = first[k]
            text = ("harvest " * (length // 8 + 1))[:length]
            harvest_id = f"h-{k}"
            got = await self.clients.one(
                0,
                "harvest",
                index=index,
                cafe_id=self.cafe_id,
                harvest_id=harvest_id,
                text=text,
                tag=HARVEST_TAG + k,
                timeout=30,
            )
            if got["acked"] != 1 or got["errors"]:
                raise RuntimeError(f"harvest {k}: {got}")
            self.spotlights.append((self.ids[index], harvest_id))
        for author, harvest_id in self.spotlights:
            await self.broadcast(author, harvest_id)
        self.figures["spotlight"] = {"harvests": count, "text_chars": length}

    # -- the phases ----------------------------------------------------------------------
    async def phase(self, name: str, start: Any) -> dict[str, Any]:
        """Trigger a phase with ``start()`` (returns its ack) and wait until every
        attendee has one ``name``; the phase's figures."""
        assert self.clients is not None
        await self.clients.all("clear")
        await asyncio.sleep(0.25)
        cpu0 = proc_cpu(self.server_pids)
        sent = now_ms()
        ack = await start()
        acked = now_ms()
        got = await self.clients.each(
            "wait_for", [{"name": name, "target": len(s), "timeout": 60} for s in self.shares]
        )
        cpu = proc_cpu(self.server_pids) - cpu0
        results = await self.clients.all("collect")
        lat, last, stamps = receipts(results, name)
        if sum(got) != self.n or len(lat) != self.n:
            raise RuntimeError(f"{name}: {sum(got)} of {self.n} arrived")
        # "All arrived" on each server process's connections (the presenter's first).
        by_url: dict[str, float] = {}
        for part in await self.clients.all("last_receipts", name=name):
            for url, t in part.items():
                by_url[url] = max(by_url.get(url, 0.0), t)
        ts = min(stamps)
        return {
            "by_process_ms": [by_url[url] - ts for url in self.deployment.urls if url in by_url],
            "ack": ack,
            "n": len(lat),
            "ts_values": len(stamps),
            "all_ms": max(lat),
            "p50_ms": pct(lat, 50),
            "p99_ms": pct(lat, 99),
            "from_request_ms": last - sent,
            "ack_ms": acked - sent,
            "server_cpu_s": cpu,
            "bytes": results[0]["samples"][name]["size"],
        }

    async def round(self, number: int) -> dict[str, Any]:
        assert self.presenter is not None
        presenter = self.presenter

        async def start() -> Any:
            return await presenter.call("cafe:round", {"cafe_id": self.cafe_id, "round": number})

        figures = await self.phase("cafe:assignment", start)
        self.acks[number] = figures.pop("ack")
        return figures

    async def broadcast(self, author: str, harvest_id: str) -> dict[str, Any]:
        assert self.presenter is not None
        presenter = self.presenter

        async def start() -> Any:
            return await presenter.call(
                "cafe:spotlight",
                {"cafe_id": self.cafe_id, "author_id": author, "harvest_id": harvest_id},
            )

        figures = await self.phase("cafe:spotlight", start)
        figures.pop("ack")
        return figures

    async def measure(self) -> None:
        f = self.figures
        rounds: list[dict[str, Any]] = []
        broadcasts: list[dict[str, Any]] = []
        author, harvest_id = self.spotlights[-1]
        for number in range(2, self.args.rounds + 2):
            if number % 2 == 0:
                rounds.append(await self.round(number))
                broadcasts.append(await self.broadcast(author, harvest_id))
            else:
                broadcasts.append(await self.broadcast(author, harvest_id))
                rounds.append(await self.round(number))
            say(
                f"{self.mode} round {number}: all arrived {rounds[-1]['all_ms']:.1f} ms, "
                f"broadcast {broadcasts[-1]['all_ms']:.1f} ms"
            )
        f["rounds"] = rounds
        f["broadcasts"] = broadcasts
        med = statistics.median
        f["round_all_ms"] = med(r["all_ms"] for r in rounds)
        f["broadcast_all_ms"] = med(b["all_ms"] for b in broadcasts)
        f["ratio"] = f["round_all_ms"] / f["broadcast_all_ms"]
        f["ratio_pairs"] = med(
            r["all_ms"] / b["all_ms"] for r, b in zip(rounds, broadcasts, strict=True)
        )
        f["met"] = f["ratio"] <= TARGET
        for key in ("p50_ms", "p99_ms", "from_request_ms", "ack_ms", "server_cpu_s", "bytes"):
            f[f"round_{key}"] = med(r[key] for r in rounds)
            f[f"broadcast_{key}"] = med(b[key] for b in broadcasts)
        processes = len(rounds[0]["by_process_ms"])
        for kind, phases in (("round", rounds), ("broadcast", broadcasts)):
            f[f"{kind}_by_process_ms"] = [
                med(p["by_process_ms"][k] for p in phases) for k in range(processes)
            ]
        f["round_one_ts"] = all(r["ts_values"] == 1 for r in rounds)

    # -- checking what arrived -------------------------------------------------------------
    def check_frames(self, kept: dict[int, list[str]]) -> list[str]:
        problems: list[str] = []
        for number, ack in self.acks.items():
            seat = {m: t for t in ack["tables"] for m in t["members"]}
            if sorted(seat) != sorted(self.ids.values()):
                problems.append(f"round {number}: the ack seats {len(seat)} of {self.n}")
            for index, frames in kept.items():
                me = self.ids[index]
                mine = [b for b in (json.loads(p[2:])[1] for p in frames) if b["round"] == number]
                if len(mine) != 1:
                    problems.append(f"round {number}: {me} got {len(mine)} assignments")
                    continue
                table = seat.get(me)
                got = mine[0]
                mates = {m["id"] for m in got["tablemates"]}
                if (
                    table is None
                    or got["table"] != table["table"]
                    or mates != set(table["members"]) - {me}
                ):
                    problems.append(f"round {number}: {me} was told table {got['table']}")
        return problems

    async def verify(self) -> None:
        """Every attendee got exactly one assignment a round, with the table and
        tablemates of the presenter's ack."""
        kept = await self.kept()
        problems = self.check_frames(kept)
        f = self.figures
        f["problems"] = problems[:10]
        f["problem_count"] = len(problems)
        f["assignments"] = sum(len(v) for v in kept.values())
        f["rounds_checked"] = sorted(self.acks)
        stats = [self.acks[r]["stats"] for r in sorted(self.acks)]
        f["seating_stats"] = stats


def sizes(f: dict[str, Any]) -> str:
    a = f["assignment_bytes"]
    return f"{a['mean']} ({a['min']}-{a['max']}) / {f['broadcast_bytes']}"


def by_process(f: dict[str, Any]) -> str:
    def cell(values: list[float]) -> str:
        return " / ".join(f"{v:.1f}" for v in values)

    return f"{cell(f['round_by_process_ms'])}; {cell(f['broadcast_by_process_ms'])}"


def pair(f: dict[str, Any], key: str, digits: int = 1) -> str:
    return f"{f['round_' + key]:.{digits}f} / {f['broadcast_' + key]:.{digits}f}"


def table(runs: list[dict[str, Any]]) -> str:
    """The figures as a markdown table, one column per mode."""
    rows: list[tuple[str, Any]] = [
        ("attendees / tables", lambda f: f"{f['attendees']:,} / {f['tables']}"),
        ("round: all arrived, median (ms)", lambda f: f"{f['round_all_ms']:.1f}"),
        ("broadcast: all arrived, median (ms)", lambda f: f"{f['broadcast_all_ms']:.1f}"),
        ("ratio (target 1.2x)", lambda f: f"{f['ratio']:.2f}x, {verdict(f)}"),
        ("ratio, round by round (median)", lambda f: f"{f['ratio_pairs']:.2f}x"),
        (
            "all arrived on the presenter's process / the other (ms): round; broadcast",
            by_process,
        ),
        ("p50 per recipient: round / broadcast (ms)", lambda f: pair(f, "p50_ms")),
        ("p99 per recipient: round / broadcast (ms)", lambda f: pair(f, "p99_ms")),
        (
            "presenter's request to the last receipt: round / broadcast (ms)",
            lambda f: pair(f, "from_request_ms"),
        ),
        ("presenter's ack: round / broadcast (ms)", lambda f: pair(f, "ack_ms")),
        ("server CPU: round / broadcast (s)", lambda f: pair(f, "server_cpu_s", 3)),
        ("frame bytes: assignment mean (min-max) / spotlight", sizes),
        (
            "rounds measured; assignments checked; problems",
            lambda f: f"{len(f['rounds'])}; {f['assignments']:,}; {f['problem_count']}",
        ),
        ("load average before / after", lambda f: f"{f['load_before']} / {f['load_after']}"),
    ]
    head = "| | " + " | ".join(LABELS[f["mode"]] for f in runs) + " |"
    lines = [head, "|---" * (len(runs) + 1) + "|"]
    for label, cell in rows:
        lines.append(f"| {label} | " + " | ".join(str(cell(f)) for f in runs) + " |")
    return "\n".join(lines) + "\n"


def verdict(f: dict[str, Any]) -> str:
    return "met" if f["met"] else "**missed**"


def run_all(args: argparse.Namespace) -> int:
    runs = run_modes(args, lambda mode, work_dir: Run(mode, args, work_dir), table, say)
    ok = all(r["problem_count"] == 0 and not r["crashed"] for r in runs)
    return 0 if ok else 1


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--attendees", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=10, help="measured rounds (1 to 19)")
    parser.add_argument("--tables", type=int, default=0, help="default: 104 per 1,000 people")
    parser.add_argument("--seed", type=int, default=1, help="the roster's seed")
    add_common_arguments(parser, work_dir="/tmp/plenary-cafe-fanout")
    args = parser.parse_args(argv)
    if not 1 <= args.rounds <= 19:
        parser.error("--rounds must be 1 to 19 (a café has at most 20 rounds, one is warm-up)")
    check_modes(parser, args)
    return args


def main(argv: list[str] | None = None) -> None:
    sys.exit(run_all(parse_args(argv)))


if __name__ == "__main__":
    main()
