"""The Redis store's per-round pipeline, against a real redis-server: one round's
commands travel together, each caller still gets its own reply or error, a tiny
connection pool serves a burst, and a script Redis forgot is loaded again."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
import redis
from redis.exceptions import ResponseError

from plenary.errors import StoreUnavailable
from plenary.store import EventRecord, RecordOutcome
from plenary.store.packing import HiredisPacking
from plenary.store.redis import SCRIPTS, RedisStore
from tests.support.ports import free_port
from tests.support.redis_proc import RedisProcess

pytestmark = pytest.mark.redis

CODE = "PIPE01"


@pytest.fixture
async def store(redis_proc: RedisProcess) -> AsyncIterator[RedisStore]:
    redis_proc.flush()
    # One connection only: a burst must be served by batching, not by the pool.
    s = RedisStore(redis_proc.url, max_connections=1)
    await s.start()
    await s.create_event(EventRecord(CODE, "Pipelines", "digest", 1))
    await s.add_activity(CODE, "p_1", {"type": "poll", "id": "p_1"}, "open")
    yield s
    await s.close()


async def vote(store: RedisStore, n: int) -> tuple[RecordOutcome, int]:
    result = await store.record_answer(
        CODE, "p_1", f"a_{n}", f"v_{n}", (str(n % 3),), n % 3, 1000 + n
    )
    return result.outcome, result.version


async def test_one_round_of_votes_is_one_pipeline(store: RedisStore) -> None:
    await vote(store, 0)  # Redis now knows the script
    before = (store.pipeline.batches, store.pipeline.commands)
    results = await asyncio.gather(*(vote(store, n) for n in range(1, 301)))
    # One pipeline, holding one script call that records all 300 votes.
    assert (store.pipeline.batches - before[0], store.pipeline.commands - before[1]) == (1, 1)
    assert [outcome for outcome, _ in results] == [RecordOutcome.STORED] * 300
    # The scripts ran in the order they were issued: versions 2..301.
    assert [version for _, version in results] == list(range(2, 302))
    tally = await store.get_tally(CODE, "p_1")
    assert tally.counts == {"0": 101, "1": 100, "2": 100}
    assert (tally.total, tally.version) == (301, 301)


async def test_the_store_packs_commands_in_c(store: RedisStore) -> None:
    await vote(store, 0)
    pool = store.redis.connection_pool
    assert issubclass(pool.connection_class, HiredisPacking)
    connection = await pool.get_connection()
    try:
        assert isinstance(connection, HiredisPacking)
        await connection.send_command("HGET", "pl:{PIPE01}:act:p_1", "status")
        assert await connection.read_response() == b"open"
    finally:
        await pool.release(connection)


async def test_scripts_are_loaded_when_the_store_starts(redis_proc: RedisProcess) -> None:
    redis_proc.flush()
    admin = redis.Redis(port=redis_proc.port)
    admin.script_flush()  # as after a Redis restart
    admin.close()
    fresh = RedisStore(redis_proc.url, max_connections=1)
    try:
        await fresh.start()
        assert await fresh.redis.script_exists(*(s.sha for s in SCRIPTS)) == [True] * len(SCRIPTS)
    finally:
        await fresh.close()


async def test_an_empty_script_cache_costs_one_load_per_script(store: RedisStore) -> None:
    await store.redis.script_flush()  # as after a Redis restart
    before = (store.pipeline.batches, store.pipeline.commands)
    results = await asyncio.gather(*(vote(store, n) for n in range(100)))
    assert {outcome for outcome, _ in results} == {RecordOutcome.STORED}
    # The round's votes are one EVALSHA: refused (NOSCRIPT), one SCRIPT LOAD, run again.
    assert (store.pipeline.batches - before[0], store.pipeline.commands - before[1]) == (3, 3)


async def test_votes_of_one_round_on_two_polls_and_a_retry_among_them(store: RedisStore) -> None:
    await store.add_activity(CODE, "p_2", {"type": "poll", "id": "p_2"}, "open")
    await vote(store, 0)

    async def vote_on(poll: str, n: int, vote_id: str | None = None) -> RecordOutcome:
        result = await store.record_answer(
            CODE, poll, f"a_{n}", vote_id or f"{poll}_v_{n}", ("x",), "x", 1000 + n
        )
        return result.outcome

    before = store.pipeline.commands
    outcomes = await asyncio.gather(
        vote_on("p_1", 1),
        vote_on("p_2", 1),
        vote_on("p_1", 2),
        vote_on("p_1", 1),  # a retry in the same round: counted once
        vote_on("p_2", 2),
        vote_on("p_3", 1),  # no such poll
    )
    assert outcomes == [
        RecordOutcome.STORED,
        RecordOutcome.STORED,
        RecordOutcome.STORED,
        RecordOutcome.DUPLICATE,
        RecordOutcome.STORED,
        RecordOutcome.MISSING,
    ]
    assert store.pipeline.commands - before == 3  # one script call per poll
    assert (await store.get_tally(CODE, "p_1")).counts == {"0": 1, "x": 2}
    assert (await store.get_tally(CODE, "p_2")).counts == {"x": 2}


async def test_a_batch_that_fails_gives_each_vote_its_own_error(store: RedisStore) -> None:
    await store.add_activity(CODE, "p_2", {"type": "poll", "id": "p_2"}, "open")
    await store.redis.set(f"pl:{{{CODE}}}:ans:p_1", "not a hash")  # HSET fails in the script
    outcomes = await asyncio.gather(
        *(vote(store, n) for n in range(5)),
        store.record_answer(CODE, "p_2", "a_9", "v_9", ("y",), "y", 1),
        return_exceptions=True,
    )
    errors = outcomes[:5]
    assert all(isinstance(e, ResponseError) and "WRONGTYPE" in str(e) for e in errors)
    assert len({id(e) for e in errors}) == 5  # one exception object per caller
    assert outcomes[5].outcome is RecordOutcome.STORED  # type: ignore[union-attr]


async def test_a_large_burst_is_split_and_exact_on_one_connection(store: RedisStore) -> None:
    results = await asyncio.gather(*(vote(store, n) for n in range(2000)))
    assert all(outcome is RecordOutcome.STORED for outcome, _ in results)
    # Retried votes (same vote ids) are duplicates, counted once.
    again = await asyncio.gather(*(vote(store, n) for n in range(0, 2000, 7)))
    assert {outcome for outcome, _ in again} == {RecordOutcome.DUPLICATE}
    tally = await store.get_tally(CODE, "p_1")
    assert tally.total == 2000
    assert sum(tally.counts.values()) == 2000


async def test_each_caller_gets_its_own_error(store: RedisStore) -> None:
    await store.redis.set("pl:plain-string", "x")
    pipeline = store.pipeline
    good = pipeline.call("HGET", f"pl:{{{CODE}}}:event", "current")
    bad = pipeline.call("HGET", "pl:plain-string", "field")  # WRONGTYPE
    also_good = pipeline.call("HLEN", f"pl:{{{CODE}}}:att")
    replies = await asyncio.gather(good, bad, also_good, return_exceptions=True)
    assert replies[0] is None
    assert isinstance(replies[1], ResponseError)
    assert "WRONGTYPE" in str(replies[1])
    assert replies[2] == 0


async def test_scripts_are_loaded_again_after_a_script_flush(store: RedisStore) -> None:
    assert (await vote(store, 1))[0] is RecordOutcome.STORED
    await store.redis.script_flush()  # what a restarted Redis looks like to EVALSHA
    results = await asyncio.gather(*(vote(store, n) for n in range(2, 12)))
    assert {outcome for outcome, _ in results} == {RecordOutcome.STORED}
    assert (await store.get_tally(CODE, "p_1")).total == 11


async def test_a_cancelled_caller_does_not_disturb_the_batch(store: RedisStore) -> None:
    cancelled = asyncio.ensure_future(vote(store, 0))
    others = [asyncio.ensure_future(vote(store, n)) for n in range(1, 50)]
    await asyncio.sleep(0)  # every caller has queued its script
    cancelled.cancel()
    results = await asyncio.gather(*others)
    assert {outcome for outcome, _ in results} == {RecordOutcome.STORED}
    with pytest.raises(asyncio.CancelledError):
        await cancelled
    # The cancelled vote was dropped before its pipeline left: only the others count.
    assert (await store.get_tally(CODE, "p_1")).total == 49


async def test_redis_down_fails_every_caller_with_its_own_error() -> None:
    down = RedisStore(f"redis://127.0.0.1:{free_port()}/0", max_connections=2)
    await down.start()
    try:
        errors = await asyncio.gather(
            *(down.get_event(CODE) for _ in range(50)), return_exceptions=True
        )
    finally:
        await down.close()
    assert all(isinstance(e, StoreUnavailable) for e in errors), errors[:3]
    # Each caller has an exception object of its own (no shared, ever-growing traceback).
    causes = [e.__cause__ for e in errors]
    assert all(c is not None for c in causes)
    assert len({id(c) for c in causes}) == 50


BUSY_LUA = """
local t0 = redis.call('TIME')
local start = t0[1] * 1000000 + t0[2]
while true do
  local t = redis.call('TIME')
  if t[1] * 1000000 + t[2] - start > tonumber(ARGV[1]) * 1000000 then return 1 end
end
"""


async def test_a_late_reply_is_never_read_as_the_next_one(redis_proc: RedisProcess) -> None:
    """Redis stalls (a long script) past the pipeline's deadline: the exchange is
    retried on a new connection and answered, and the timed-out connection's late
    replies are never handed to later callers."""
    from redis import asyncio as aioredis
    from redis.asyncio.retry import Retry
    from redis.backoff import ConstantBackoff
    from redis.exceptions import ConnectionError as RedisConnectionError
    from redis.exceptions import TimeoutError as RedisTimeoutError

    from plenary.store.autopipeline import AutoPipeline

    redis_proc.flush()
    client = aioredis.Redis.from_url(
        redis_proc.url,
        retry=Retry(ConstantBackoff(0.1), 10),
        retry_on_error=[RedisConnectionError, RedisTimeoutError],
    )
    blocker = aioredis.Redis.from_url(redis_proc.url)
    pipeline = AutoPipeline(client, max_connections=1, timeout=0.2)
    try:
        await asyncio.gather(pipeline.call("SET", "k1", "one"), pipeline.call("SET", "k2", "two"))
        busy = asyncio.ensure_future(blocker.eval(BUSY_LUA, 0, "0.7"))
        await asyncio.sleep(0.1)  # Redis is in the script now, answering nobody
        assert await pipeline.call("GET", "k1") == b"one"  # after retries
        assert await busy == 1
        assert await pipeline.call("GET", "k2") == b"two"
        assert await pipeline.call("GET", "k1") == b"one"
        assert pipeline.batches >= 3
    finally:
        await pipeline.close()
        await client.aclose()
        await blocker.aclose()


async def test_the_pipeline_reuses_its_own_connections(store: RedisStore) -> None:
    pipeline = store.pipeline
    for n in range(5):  # five rounds, one after the other
        assert await pipeline.call("ECHO", f"round {n}") == f"round {n}".encode()
    assert len(pipeline._idle) == 1  # one connection served them all
    connection = pipeline._idle[0]
    assert connection.socket_timeout is None  # the exchange has the deadline
    assert isinstance(connection, HiredisPacking)
