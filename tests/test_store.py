"""One suite for both store backends: the in-memory store and Redis (a real redis-server
started by the tests). Whatever one does, the other must do identically."""

from __future__ import annotations

import asyncio
import random
from collections import Counter
from collections.abc import AsyncIterator

import pytest

from plenary.clock import now_ms
from plenary.settings import Settings
from plenary.store import (
    AttendeeRecord,
    ClaimKind,
    EventRecord,
    JoinOutcome,
    JoinResult,
    RecordOutcome,
    Store,
    Tally,
    TicketOutcome,
    store_for,
)
from plenary.store.base import PRESENCE_TTL_MS

CODE = "ABCDEF"


@pytest.fixture
async def store(redis_url: str | None) -> AsyncIterator[Store]:
    s = store_for(Settings(redis_url=redis_url))
    await s.start()
    assert await s.create_event(EventRecord(CODE, "Title", "digest", 1))
    yield s
    await s.close()


async def open_activity(store: Store, aid: str = "p_1") -> None:
    await store.add_activity(CODE, aid, {"type": "poll", "id": aid}, "open")


async def test_backend_is_the_one_asked_for(store: Store, backend: str) -> None:
    assert store.backend == backend
    assert await store.ping()


async def test_events(store: Store) -> None:
    assert await store.get_event(CODE) == EventRecord(CODE, "Title", "digest", 1)
    assert not await store.create_event(EventRecord(CODE, "Other", "d2", 2))
    assert await store.create_event(EventRecord("ZZZZZZ", "Second", "d3", 3))
    assert [e.code for e in await store.list_events()] == [CODE, "ZZZZZZ"]
    assert await store.get_event("NOPE00") is None


async def test_attendees_and_tokens(store: Store) -> None:
    ada = AttendeeRecord("a_1", "Ada", "PT", None, 10)
    bob = AttendeeRecord("a_2", "Bob", None, "ACME", 20)
    assert (await store.join_event(CODE, ada, "tok-ada", 10)).outcome is JoinOutcome.JOINED
    assert (await store.join_event(CODE, bob, "tok-bob", 10)).outcome is JoinOutcome.JOINED
    assert await store.find_attendee(CODE, "tok-ada") == ada
    assert await store.find_attendee(CODE, "tok-bob") == bob
    assert await store.find_attendee(CODE, "nope") is None
    assert await store.find_attendee("ZZZZZZ", "tok-ada") is None
    assert await store.count_attendees(CODE) == 2
    assert await store.list_attendees(CODE) == [ada, bob]


async def test_join_event_admits_checks_and_caps_exactly(store: Store) -> None:
    ada = AttendeeRecord("a_1", "Ada", "PT", None, 10)
    joined = await store.join_event(CODE, ada, "tok-ada", 5)
    assert joined == JoinResult(JoinOutcome.JOINED, EventRecord(CODE, "Title", "digest", 1))
    assert await store.find_attendee(CODE, "tok-ada") == ada
    nobody = await store.join_event("NOPE00", ada, "tok-x", 5)
    assert nobody == JoinResult(JoinOutcome.UNKNOWN_EVENT)
    # Concurrent joins never pass the maximum: 4 places left, 30 at once.
    many = [AttendeeRecord(f"a_{i}", f"P{i}", None, None, i) for i in range(2, 32)]
    results = await asyncio.gather(*(store.join_event(CODE, a, f"tok-{a.id}", 5) for a in many))
    outcomes = Counter(r.outcome for r in results)
    assert outcomes == {JoinOutcome.JOINED: 4, JoinOutcome.FULL: 26}
    assert await store.count_attendees(CODE) == 5
    refused = [a for a, r in zip(many, results, strict=True) if r.outcome is JoinOutcome.FULL]
    assert [await store.find_attendee(CODE, f"tok-{a.id}") for a in refused] == [None] * 26
    await store.end_event(CODE, 99)
    ended = await store.join_event(CODE, AttendeeRecord("a_99", "Late"), "tok-late", 500)
    assert ended == JoinResult(JoinOutcome.ENDED, EventRecord(CODE, "Title", "digest", 1, 99))
    assert await store.count_attendees(CODE) == 5


async def test_adding_an_activity_twice_keeps_the_first(store: Store) -> None:
    assert await store.add_activity(CODE, "r_1", {"type": "room", "n": 1}, "open")
    stored = await store.record_answer(CODE, "r_1", "a_1", "v1", ("x",), "x", 1)
    assert stored.outcome is RecordOutcome.STORED
    assert (await store.update_activity(CODE, "r_1", None, {"k": 1})) is not None
    # A second add of the same id (a retry, another process) changes nothing at all.
    assert not await store.add_activity(CODE, "r_1", {"type": "room", "n": 2}, "draft")
    again = await store.get_activity(CODE, "r_1")
    assert again is not None
    assert (dict(again.definition), again.status, dict(again.meta)) == (
        {"type": "room", "n": 1},
        "open",
        {"k": 1},
    )
    assert await store.get_tally(CODE, "r_1") == Tally({"x": 1}, 1, 1)
    assert [a.id for a in await store.list_activities(CODE)] == ["r_1"]


async def test_activities_keep_order_status_and_meta(store: Store) -> None:
    await store.add_activity(CODE, "p_1", {"type": "poll", "q": "one"}, "draft")
    await store.add_activity(CODE, "p_2", {"type": "poll", "q": "two"}, "draft")
    updated = await store.update_activity(CODE, "p_1", "open", {"opened_at": 5, "revealed": False})
    assert updated is not None
    assert (updated.status, dict(updated.meta)) == ("open", {"opened_at": 5, "revealed": False})
    updated = await store.update_activity(CODE, "p_1", None, {"revealed": True, "closed_at": None})
    assert updated is not None and updated.status == "open"
    assert dict(updated.meta) == {"opened_at": 5, "revealed": True, "closed_at": None}
    assert updated.state_seq == 2
    assert await store.update_activity(CODE, "p_9", "open", {}) is None
    listed = await store.list_activities(CODE)
    assert [(a.id, a.status, a.definition["q"], a.state_seq) for a in listed] == [
        ("p_1", "open", "one", 2),
        ("p_2", "draft", "two", 0),
    ]
    assert await store.get_current(CODE) is None
    await store.set_current(CODE, "p_2")
    assert await store.get_current(CODE) == "p_2"
    await store.set_current(CODE, None)
    assert await store.get_current(CODE) is None


async def test_update_activity_if_seq_lets_one_writer_win(store: Store) -> None:
    """A read-modify-write of an activity's state (e.g. a café round): the update names
    the state_seq it read; of concurrent writers exactly one succeeds."""
    await store.add_activity(CODE, "c_1", {"type": "cafe"}, "draft")
    first = await store.update_activity(CODE, "c_1", "open", {"round": 1}, if_seq=0)
    assert first is not None and (first.status, first.state_seq) == ("open", 1)
    stale = await store.update_activity(CODE, "c_1", "closed", {"round": 9}, if_seq=0)
    assert stale is None
    current = await store.get_activity(CODE, "c_1")
    assert current is not None
    assert (current.status, dict(current.meta), current.state_seq) == ("open", {"round": 1}, 1)
    assert await store.update_activity(CODE, "c_9", None, {"round": 1}, if_seq=0) is None
    # Ten writers read state 1 at once: one of them moves it on.
    results = await asyncio.gather(
        *(
            store.update_activity(CODE, "c_1", None, {"round": 2, "by": i}, if_seq=1)
            for i in range(10)
        )
    )
    winners = [r for r in results if r is not None]
    assert len(winners) == 1 and winners[0].state_seq == 2
    after = await store.get_activity(CODE, "c_1")
    assert after is not None and after.meta == winners[0].meta and after.meta["round"] == 2
    # Without if_seq the update applies whatever the state.
    plain = await store.update_activity(CODE, "c_1", None, {"round": 3})
    assert plain is not None and plain.state_seq == 3


async def test_record_answer_replaces_and_is_idempotent(store: Store) -> None:
    await open_activity(store)
    first = await store.record_answer(CODE, "p_1", "a_1", "v1", ("a",), "a", 1)
    assert first.outcome is RecordOutcome.STORED and first.version == 1
    # A retry of the same vote changes nothing.
    again = await store.record_answer(CODE, "p_1", "a_1", "v1", ("a",), "a", 2)
    assert again.outcome is RecordOutcome.DUPLICATE
    # A new vote replaces the old answer: counts move from a to b and c.
    moved = await store.record_answer(CODE, "p_1", "a_1", "v2", ("b", "c"), ["b", "c"], 3)
    assert moved.outcome is RecordOutcome.STORED and moved.version == 2
    # The same vote_id from another attendee is a different vote.
    other = await store.record_answer(CODE, "p_1", "a_2", "v1", ("b",), "b", 4)
    assert other.outcome is RecordOutcome.STORED
    tally = await store.get_tally(CODE, "p_1")
    assert (tally.counts, tally.total, tally.version) == ({"b": 2, "c": 1}, 2, 3)
    answer = await store.get_answer(CODE, "p_1", "a_1")
    assert answer is not None and (answer.value, answer.keys, answer.vote_id) == (
        ["b", "c"],
        ("b", "c"),
        "v2",
    )
    # A late retry of the *first* vote must not undo the replacement.
    late = await store.record_answer(CODE, "p_1", "a_1", "v1", ("a",), "a", 5)
    assert late.outcome is RecordOutcome.DUPLICATE
    assert (await store.get_tally(CODE, "p_1")).counts == {"b": 2, "c": 1}
    assert set(await store.list_answers(CODE, "p_1")) == {"a_1", "a_2"}


async def test_closed_and_missing_activities_store_nothing(store: Store) -> None:
    await open_activity(store)
    assert (await store.record_answer(CODE, "p_1", "a_1", "v1", ("a",), "a", 1)).outcome is (
        RecordOutcome.STORED
    )
    await store.update_activity(CODE, "p_1", "closed", {})
    closed = await store.record_answer(CODE, "p_1", "a_2", "v2", ("a",), "a", 2)
    assert closed.outcome is RecordOutcome.NOT_OPEN
    # A retry of a vote stored before the close is still acknowledged as stored.
    retry = await store.record_answer(CODE, "p_1", "a_1", "v1", ("a",), "a", 3)
    assert retry.outcome is RecordOutcome.DUPLICATE
    missing = await store.record_answer(CODE, "p_9", "a_1", "v9", ("a",), "a", 4)
    assert missing.outcome is RecordOutcome.MISSING
    tally = await store.get_tally(CODE, "p_1")
    assert (tally.counts, tally.total) == ({"a": 1}, 1)


async def test_concurrent_answers_count_exactly(store: Store) -> None:
    """2,000 concurrent answers (with changes of mind and retries) from 500 attendees:
    the tally equals the last answer of each attendee."""
    await open_activity(store)
    rng = random.Random(7)
    plan = []
    for attendee in range(500):
        for change in range(rng.randint(1, 4)):
            plan.append((f"a_{attendee}", f"v{change}", rng.choice("abcd")))
    final: dict[str, str] = {}
    # Each attendee's votes go in order (as from one client); attendees interleave.
    by_attendee: dict[str, list[tuple[str, str]]] = {}
    for attendee_id, vote_id, choice in plan:
        by_attendee.setdefault(attendee_id, []).append((vote_id, choice))
        final[attendee_id] = choice

    async def one_attendee(attendee_id: str) -> None:
        for vote_id, choice in by_attendee[attendee_id]:
            result = await store.record_answer(
                CODE, "p_1", attendee_id, vote_id, (choice,), choice, 0
            )
            assert result.outcome is RecordOutcome.STORED
            # and a duplicate retry of each
            dup = await store.record_answer(CODE, "p_1", attendee_id, vote_id, (choice,), choice, 0)
            assert dup.outcome is RecordOutcome.DUPLICATE

    await asyncio.gather(*(one_attendee(a) for a in by_attendee))
    tally = await store.get_tally(CODE, "p_1")
    assert tally.counts == dict(Counter(final.values()))
    assert tally.total == 500
    assert tally.version == len(plan)


async def test_update_activity_with_expect_is_a_compare_and_set(store: Store) -> None:
    await store.add_activity(CODE, "q_1", {"type": "quiz", "id": "q_1"}, "question:q1")
    wrong = await store.update_activity(CODE, "q_1", "closed", {"x": 1}, expect="lobby")
    assert wrong is None
    unchanged = await store.get_activity(CODE, "q_1")
    assert unchanged is not None
    assert (unchanged.status, dict(unchanged.meta), unchanged.state_seq) == ("question:q1", {}, 0)
    # Twenty processes close the question at once: exactly one makes the transition.
    tries = await asyncio.gather(
        *(
            store.update_activity(CODE, "q_1", "reveal:q1", {"by": i}, expect="question:q1")
            for i in range(20)
        )
    )
    [winner] = [t for t in tries if t is not None]
    assert winner.status == "reveal:q1" and winner.state_seq == 1
    after = await store.get_activity(CODE, "q_1")
    assert after is not None and after.meta == {"by": winner.meta["by"]}
    missing = await store.update_activity(CODE, "q_9", "closed", {}, expect="lobby")
    assert missing is None


async def test_record_answer_in_a_status_of_the_kind(store: Store) -> None:
    """An activity may take answers in a status of its own (a quiz's question): an
    answer is stored only while the status is the one it names."""
    await store.add_activity(CODE, "q_1", {"type": "quiz", "id": "q_1"}, "question:q2")
    stale = await store.record_answer(
        CODE, "q_1", "a_1/q1", "q1", ("q1",), "x", 1, open_status="question:q1"
    )
    assert stale.outcome is RecordOutcome.NOT_OPEN
    # The plain "open" status takes nothing here either.
    plain = await store.record_answer(CODE, "q_1", "a_1/q2", "v", ("q2",), "x", 1)
    assert plain.outcome is RecordOutcome.NOT_OPEN
    fresh = await store.record_answer(
        CODE, "q_1", "a_1/q2", "q2", ("q2",), "y", 2, open_status="question:q2"
    )
    assert fresh.outcome is RecordOutcome.STORED
    again = await store.record_answer(
        CODE, "q_1", "a_1/q2", "q2", ("q2",), "z", 3, open_status="question:q2"
    )
    assert again.outcome is RecordOutcome.DUPLICATE
    answer = await store.get_answer(CODE, "q_1", "a_1/q2")
    assert answer is not None and (answer.value, answer.ts) == ("y", 2)
    tally = await store.get_tally(CODE, "q_1")
    assert (tally.counts, tally.total) == ({"q2": 1}, 1)


async def test_labels_keep_the_first_form(store: Store) -> None:
    await open_activity(store)
    await store.record_answer(CODE, "p_1", "a_1", "v1", ("hi",), "Hi!", 0, {"hi": "Hi!"})
    await store.record_answer(CODE, "p_1", "a_2", "v1", ("hi",), "HI", 0, {"hi": "HI"})
    await store.record_answer(CODE, "p_1", "a_3", "v1", ("yo",), "Yo", 0, {"yo": "Yo 🎉"})
    tally = await store.get_tally(CODE, "p_1")
    assert tally.counts == {"hi": 2, "yo": 1}
    assert tally.labels == {"hi": "Hi!", "yo": "Yo 🎉"}


async def test_empty_keys_and_unicode_keys(store: Store) -> None:
    await open_activity(store)
    await store.record_answer(CODE, "p_1", "a_1", "v1", ("straße 🎉",), "Straße 🎉", 0)
    await store.record_answer(CODE, "p_1", "a_2", "v1", (), None, 0)
    await store.record_answer(CODE, "p_1", "a_1", "v2", ("ok",), "ok", 0)
    tally = await store.get_tally(CODE, "p_1")
    assert (tally.counts, tally.total) == ({"ok": 1}, 2)


async def test_claim_broadcast_coalesces(store: Store) -> None:
    await open_activity(store)
    await store.record_answer(CODE, "p_1", "a_1", "v1", ("a",), "a", 0)
    first = await store.claim_broadcast(CODE, "p_1", 1, 60_000)
    assert (first.kind, first.version) == (ClaimKind.GO, 1)
    # Nothing newer than what was broadcast: done.
    assert (await store.claim_broadcast(CODE, "p_1", 1, 60_000)).kind is ClaimKind.DONE
    # A newer version inside the window must wait for the window to end.
    await store.record_answer(CODE, "p_1", "a_2", "v1", ("a",), "a", 0)
    waiting = await store.claim_broadcast(CODE, "p_1", 2, 60_000)
    assert waiting.kind is ClaimKind.WAIT and 0 < waiting.wait_ms <= 60_000
    await store.add_activity(CODE, "p_2", {"type": "poll"}, "open")
    await store.record_answer(CODE, "p_2", "a_1", "v1", ("a",), "a", 0)
    short = await store.claim_broadcast(CODE, "p_2", 1, 50)
    assert short.kind is ClaimKind.GO
    await store.record_answer(CODE, "p_2", "a_2", "v1", ("a",), "a", 0)
    await asyncio.sleep(0.12)
    after = await store.claim_broadcast(CODE, "p_2", 2, 50)
    assert (after.kind, after.version) == (ClaimKind.GO, 2)
    assert (await store.claim_broadcast(CODE, "p_9", 1, 50)).kind is ClaimKind.DONE


async def test_presence_sums_live_processes_only(store: Store) -> None:
    now = 1_000_000_000
    await store.set_presence("proc-a", {CODE: 3, "OTHER1": 9}, now)
    await store.set_presence("proc-b", {CODE: 4}, now - 1000)
    await store.set_presence("proc-dead", {CODE: 100}, now - PRESENCE_TTL_MS - 1)
    assert await store.count_online(CODE, now) == 7
    assert await store.count_online("OTHER1", now) == 9
    assert await store.count_online("NOBODY", now) == 0


async def test_end_expire_and_purge_events(store: Store) -> None:
    await open_activity(store)
    await store.join_event(CODE, AttendeeRecord("a_1", "Ada"), "tok", 10)
    await store.record_answer(CODE, "p_1", "a_1", "v1", ("a",), "a", 0)
    ended = await store.end_event(CODE, 500)
    assert ended is not None and ended.ended_at == 500
    again = await store.end_event(CODE, 900)
    assert again is not None and again.ended_at == 500  # the first end time stays
    assert await store.end_event("NOPE00", 1) is None
    await store.create_event(EventRecord("OTHER2", "Other", "d", 2))
    await store.expire_event(CODE, 1)
    assert await store.get_event(CODE) is not None  # not yet
    await asyncio.sleep(1.1)
    await store.sweep(now_ms())
    assert await store.get_event(CODE) is None
    assert await store.get_tally(CODE, "p_1") == Tally({}, 0, 0)
    assert await store.find_attendee(CODE, "tok") is None
    assert [e.code for e in await store.list_events()] == ["OTHER2"]
    await store.purge_event("OTHER2")
    assert await store.list_events() == []


async def test_tickets_are_held_once(store: Store) -> None:
    await store.add_activity(CODE, "b_1", {"type": "ballot"}, "draft")
    assert await store.add_tickets(CODE, "b_1", ["t1", "t2"], 3) == 2
    assert await store.add_tickets(CODE, "b_1", ["t2", "t3"], 3) == 3  # t2 is there already
    assert await store.add_tickets(CODE, "b_1", ["t4"], 3) is None  # over the maximum
    assert await store.add_tickets(CODE, "b_9", ["t1"], 3) is None  # no such activity
    assert await store.claim_ticket(CODE, "b_1", "t1", "ada") is TicketOutcome.CLAIMED
    assert await store.claim_ticket(CODE, "b_1", "t1", "ada") is TicketOutcome.HELD
    assert await store.claim_ticket(CODE, "b_1", "t1", "bob") is TicketOutcome.TAKEN
    assert await store.claim_ticket(CODE, "b_1", "t2", "ada") is TicketOutcome.OTHER
    assert await store.claim_ticket(CODE, "b_1", "t9", "bob") is TicketOutcome.UNKNOWN
    assert await store.claim_ticket(CODE, "b_9", "t1", "bob") is TicketOutcome.UNKNOWN
    assert await store.add_tickets(CODE, "b_1", ["t1"], 3) == 3  # a held ticket stays held
    assert await store.ticket_of(CODE, "b_1", "ada") == "t1"
    assert await store.ticket_of(CODE, "b_1", "bob") is None
    assert await store.count_tickets(CODE, "b_1") == (3, 1)
    assert await store.count_tickets(CODE, "b_9") == (0, 0)


async def test_concurrent_claims_give_each_ticket_to_one_holder(store: Store) -> None:
    await store.add_activity(CODE, "b_1", {"type": "ballot"}, "open")
    assert await store.add_tickets(CODE, "b_1", [f"t{i}" for i in range(20)], 100) == 20
    # 100 holders each try 3 tickets, all at once: 20 claims succeed, one per ticket,
    # and nobody gets two.
    tries = [(f"h{h}", f"t{(h + k) % 20}") for h in range(100) for k in range(3)]
    random.Random(7).shuffle(tries)
    outcomes = await asyncio.gather(
        *(store.claim_ticket(CODE, "b_1", ticket, holder) for holder, ticket in tries)
    )
    won = [try_ for try_, o in zip(tries, outcomes, strict=True) if o is TicketOutcome.CLAIMED]
    assert len(won) == 20
    assert len({ticket for _, ticket in won}) == 20
    assert len({holder for holder, _ in won}) == 20
    for holder, ticket in won:
        assert await store.ticket_of(CODE, "b_1", holder) == ticket
    assert await store.count_tickets(CODE, "b_1") == (20, 20)


async def test_list_presence(store: Store) -> None:
    await store.set_presence("proc-a", {CODE: 2}, 1234)
    assert await store.list_presence() == {"proc-a": (1234, {CODE: 2})}


async def test_take_token_allows_the_burst_then_says_when(store: Store) -> None:
    assert [await store.take_token("conn:198.51.100.7", 0.5, 3) for _ in range(3)] == [0, 0, 0]
    wait_ms = await store.take_token("conn:198.51.100.7", 0.5, 3)
    assert 0 < wait_ms <= 2001  # one token comes back every 2 s
    # A refusal took nothing; other buckets are their own.
    assert 0 < await store.take_token("conn:198.51.100.7", 0.5, 3) <= wait_ms
    assert await store.take_token("conn:198.51.100.8", 0.5, 3) == 0
    assert await store.take_token("lookup:198.51.100.7", 0.5, 3) == 0


async def test_take_token_refills_at_the_rate(store: Store) -> None:
    assert await store.take_token("conn:a", 20.0, 1) == 0
    wait_ms = await store.take_token("conn:a", 20.0, 1)
    assert 0 < wait_ms <= 51
    await asyncio.sleep(0.12)
    assert await store.take_token("conn:a", 20.0, 1) == 0
    assert await store.take_token("conn:a", 20.0, 1) > 0


async def test_take_token_is_exact_under_concurrency(store: Store) -> None:
    """60 takes at once (one round: in Redis, one batched script call) from a bucket of
    5, and 60 more spread over other buckets: exactly the burst of each is allowed."""
    rng = random.Random(11)
    buckets = [rng.choice(["conn:x", "conn:y", "conn:z"]) for _ in range(60)]
    results = await asyncio.gather(
        *(store.take_token("conn:w", 0.01, 5) for _ in range(60)),
        *(store.take_token(b, 0.01, 5) for b in buckets),
    )
    assert results[:60].count(0) == 5
    allowed = Counter(b for b, r in zip(buckets, results[60:], strict=True) if r == 0)
    assert allowed == {b: min(5, n) for b, n in Counter(buckets).items()}


async def test_take_token_buckets_are_forgotten_once_full(store: Store, backend: str) -> None:
    assert await store.take_token("conn:gone", 10.0, 2) == 0
    if backend == "redis":
        from plenary.store.redis import Keys, RedisStore

        assert isinstance(store, RedisStore)
        ttl_ms = await store.redis.pttl(Keys.rate("conn:gone"))
        assert 0 < ttl_ms <= 101  # full again after 1 token at 10/s
    await asyncio.sleep(0.15)
    await store.sweep(now_ms())
    if backend == "redis":
        assert not await store.redis.exists(Keys.rate("conn:gone"))
    else:
        assert "conn:gone" not in store._buckets  # type: ignore[attr-defined]
    assert [await store.take_token("conn:gone", 10.0, 2) for _ in range(3)][:2] == [0, 0]
