"""One store read for many callers (``plenary/singleflight.py``): the pure helper, and a
burst of answers and votes reaching a process that has not seen their quiz or poll yet
(scaled mode, two servers on a real Redis), which reads it once, not once per answer."""

from __future__ import annotations

import asyncio
from collections import Counter
from typing import Any

import aiohttp
import pytest

from plenary.singleflight import SingleFlight
from tests.support import clients
from tests.support.redis_proc import RedisProcess
from tests.support.server import create_event, running_server
from tests.test_fastpath import LIMITS, join_many

BURST = 40


async def test_concurrent_callers_share_one_load_and_its_outcome() -> None:
    flights: SingleFlight[str, int] = SingleFlight()
    loads = Counter[str]()
    gate = asyncio.Event()

    async def load(key: str) -> int:
        loads[key] += 1
        await gate.wait()
        if key == "bad":
            raise LookupError(key)
        return len(key)

    waiting = [asyncio.ensure_future(flights.run(k, lambda k=k: load(k))) for k in ["ab"] * 5]
    failing = [asyncio.ensure_future(flights.run("bad", lambda: load("bad"))) for _ in range(3)]
    leaving = asyncio.ensure_future(flights.run("ab", lambda: load("ab")))
    await asyncio.sleep(0)
    leaving.cancel()  # one caller gives up: the others still get the value
    gate.set()
    assert await asyncio.gather(*waiting) == [2] * 5
    for call in failing:
        with pytest.raises(LookupError):
            await call
    assert loads == {"ab": 1, "bad": 1}
    assert len(flights) == 0, "nothing kept once landed"
    assert await flights.run("ab", lambda: load("ab")) == 2
    assert loads["ab"] == 2, "a later call loads afresh"


@pytest.mark.redis
async def test_a_burst_on_a_process_new_to_the_activity_reads_it_once(
    redis_proc: RedisProcess,
) -> None:
    redis_proc.flush()
    async with (
        running_server(redis_proc.url, limits=LIMITS) as one,
        running_server(redis_proc.url, limits=LIMITS) as two,
        aiohttp.ClientSession() as http,
    ):
        event = await create_event(one.url)
        code = event["code"]
        presenter = await clients.presenter(one.url, code, event["presenter_key"])
        players = await join_many(http, two.url, code, BURST)
        store = two.services.store
        reads = Counter[str]()
        read_activity = store.get_activity

        async def counted(scope: str, activity_id: str) -> Any:
            reads[activity_id] += 1
            return await read_activity(scope, activity_id)

        store.get_activity = counted  # type: ignore[method-assign]  # a count, then the real read

        poll = await presenter.call(
            "poll:create", {"question": "Q", "kind": "single", "options": ["A", "B"]}
        )
        poll_id = poll["poll"]["id"]
        await presenter.call("poll:open", {"poll_id": poll_id})
        votes = await asyncio.gather(
            *(
                p.call("poll:vote", {"poll_id": poll_id, "choice": "a", "vote_id": f"v{i}"})
                for i, p in enumerate(players)
            )
        )
        assert all(v["ok"] for v in votes), votes

        question = {"kind": "truefalse", "question": "?", "correct": True, "time_limit_s": 60}
        made = await presenter.call("quiz:create", {"title": "T", "questions": [question]})
        quiz_id = made["quiz"]["id"]
        await presenter.call("quiz:start", {"quiz_id": quiz_id})
        opened = await presenter.call("quiz:next", {"quiz_id": quiz_id})
        question_id = opened["question"]["question"]["id"]
        answers = await asyncio.gather(
            *(
                p.call(
                    "quiz:answer",
                    {
                        "quiz_id": quiz_id,
                        "question_id": question_id,
                        "choice": True,
                        "answer_id": f"a{i}",
                    },
                )
                for i, p in enumerate(players)
            )
        )
        assert all(a["ok"] for a in answers), answers

        # Once per burst for the definition, once for the question's opening time, and a
        # few for the live counts (one a window): not once per answer or vote.
        assert reads[poll_id] <= 5, reads
        assert reads[quiz_id] <= 6, reads
        for p in players:
            await p.close()
        await presenter.disconnect()
