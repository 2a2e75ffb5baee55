"""Redis store: state shared by many server processes and hosts.

Every operation that must agree across processes is one Lua script (atomic in Redis):
recording an answer (idempotent per attendee and ``vote_id``, counted exactly),
claiming a results broadcast, reading a consistent tally. The commands of all the
coroutines of one event-loop round share one pipeline (:mod:`plenary.store.autopipeline`),
so a burst of votes or joins costs a few round trips, not one per caller. Keys carry the
event code in a ``{hash tag}`` so one event's keys stay on one Redis Cluster slot;
``docs/redis-keys.md`` lists them all.
Values are msgpack (:mod:`plenary.codec`).
"""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import Callable, Collection, Coroutine, Mapping
from dataclasses import replace
from typing import Any, ParamSpec, TypeVar

import redis.asyncio as aioredis
from redis.asyncio.retry import Retry
from redis.backoff import ExponentialBackoff
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from plenary import codec
from plenary.errors import StoreUnavailable
from plenary.outage import Outage
from plenary.scopes import SEPARATOR
from plenary.store.autopipeline import AutoPipeline, BatchScript, LuaScript
from plenary.store.base import (
    PRESENCE_TTL_MS,
    Activity,
    AnswerRecord,
    AttendeeRecord,
    Claim,
    ClaimKind,
    EventRecord,
    JoinOutcome,
    JoinResult,
    RecordOutcome,
    RecordResult,
    RoomRecord,
    StageChange,
    Store,
    Tally,
    TicketOutcome,
    online_by_room,
)
from plenary.store.packing import with_hiredis_packing

log = logging.getLogger(__name__)

P = ParamSpec("P")
R = TypeVar("R")

#: How long a command may wait for a connection, and for Redis to answer, before it
#: fails (and, for a lost connection, is retried).
SOCKET_TIMEOUT_S = 5.0
#: RECORD_ANSWER's replies.
RECORD_OUTCOMES = {outcome.value.encode(): outcome for outcome in RecordOutcome}
KEY_SEPARATOR = "\x1f"  # joins an answer's counting keys; domain text never contains it

# One vote per call (see BatchScript): ARGV[a] attendee, a+1 vote_id, a+2 the packed
# answer, a+3 its counting keys joined, a+4 the status that takes answers (``open``),
# a+5 how many keys, then the keys, then label pairs.
RECORD_ANSWER = BatchScript("""
local vk = ARGV[a] .. ':' .. ARGV[a + 1]
if redis.call('SISMEMBER', KEYS[2], vk) == 1 then
  return {'duplicate', tonumber(redis.call('HGET', KEYS[1], 'v') or '0')}
end
local status = redis.call('HGET', KEYS[1], 'status')
if not status then return {'missing', 0} end
if status ~= ARGV[a + 4] then
  return {'not_open', tonumber(redis.call('HGET', KEYS[1], 'v') or '0')}
end
redis.call('SADD', KEYS[2], vk)
local old = redis.call('HGET', KEYS[4], ARGV[a])
if old then
  for k in string.gmatch(old, '[^\\31]+') do
    if redis.call('HINCRBY', KEYS[5], k, -1) <= 0 then redis.call('HDEL', KEYS[5], k) end
  end
end
local nk = tonumber(ARGV[a + 5])
for i = a + 6, a + 5 + nk do redis.call('HINCRBY', KEYS[5], ARGV[i], 1) end
for i = a + 6 + nk, a + n - 1, 2 do redis.call('HSETNX', KEYS[6], ARGV[i], ARGV[i + 1]) end
redis.call('HSET', KEYS[4], ARGV[a], ARGV[a + 3])
redis.call('HSET', KEYS[3], ARGV[a], ARGV[a + 2])
return {'stored', redis.call('HINCRBY', KEYS[1], 'v', 1)}""")

CLAIM_BROADCAST = LuaScript("""
if redis.call('EXISTS', KEYS[1]) == 0 then return {'done', 0, 0} end
local v = tonumber(redis.call('HGET', KEYS[1], 'v') or '0')
local ev = tonumber(redis.call('HGET', KEYS[1], 'ev') or '0')
if ev >= tonumber(ARGV[1]) then return {'done', 0, 0} end
local ttl = redis.call('PTTL', KEYS[2])
if ttl > 0 then return {'wait', 0, ttl} end
redis.call('SET', KEYS[2], '1', 'PX', ARGV[2])
redis.call('HSET', KEYS[1], 'ev', v)
return {'go', v, 0}
""")

# Store.add_activity: KEYS[1] the activity hash, KEYS[2] the room's running order;
# ARGV[1] its id, ARGV[2] the packed definition, ARGV[3] its status. An id taken already
# changes nothing (a retry, or two processes creating a room's record at once).
ADD_ACTIVITY = LuaScript("""
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('HSET', KEYS[1], 'def', ARGV[2], 'status', ARGV[3], 'v', 0, 'ev', 0)
redis.call('RPUSH', KEYS[2], ARGV[1])
return 1
""")

# ARGV[1]: the status the activity must have for the change to happen ('' for any),
# ARGV[2]: the state_seq it must still have ('' for any), then field/value pairs.
UPDATE_ACTIVITY = LuaScript("""
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
if ARGV[1] ~= '' and redis.call('HGET', KEYS[1], 'status') ~= ARGV[1] then return 0 end
if ARGV[2] ~= '' and tonumber(redis.call('HGET', KEYS[1], 'sv') or '0') ~= tonumber(ARGV[2]) then
  return 0
end
if #ARGV > 2 then redis.call('HSET', KEYS[1], unpack(ARGV, 3)) end
redis.call('HINCRBY', KEYS[1], 'sv', 1)
return 1
""")

# The stage (Store.take_stage). KEYS[1]: the event hash; KEYS[2]: the activity to put on
# stage, or '' to only close what is on stage. ARGV[1]: the prefix of activity keys
# (pl:{CODE}:act:), ARGV[2]: the new activity's id, ARGV[3]: its new status ('' keeps
# it), ARGV[4]: how many field/value pairs of its meta follow, then those pairs, then the
# closed activity's meta pairs. The previous activity's key is built from the prefix: it
# carries the same {CODE} hash tag, so it lives on the same Cluster slot.
TAKE_STAGE = LuaScript("""
local target = KEYS[2]
if target ~= '' and redis.call('EXISTS', target) == 0 then return {0} end
local n = tonumber(ARGV[4])
local before, after, current = false, false, false
local prev = redis.call('HGET', KEYS[1], 'current')
if prev and prev ~= ARGV[2] then
  local key = ARGV[1] .. prev
  local status = redis.call('HGET', key, 'status')
  if status and status ~= 'draft' and status ~= 'closed' then
    before = redis.call('HGETALL', key)
    redis.call('HSET', key, 'status', 'closed')
    for i = 5 + 2 * n, #ARGV, 2 do redis.call('HSET', key, ARGV[i], ARGV[i + 1]) end
    redis.call('HINCRBY', key, 'sv', 1)
    after = redis.call('HGETALL', key)
  end
end
if target ~= '' then
  if ARGV[3] ~= '' or n > 0 then
    if ARGV[3] ~= '' then redis.call('HSET', target, 'status', ARGV[3]) end
    for i = 5, 4 + 2 * n, 2 do redis.call('HSET', target, ARGV[i], ARGV[i + 1]) end
    redis.call('HINCRBY', target, 'sv', 1)
  end
  redis.call('HSET', KEYS[1], 'current', ARGV[2])
  current = redis.call('HGETALL', target)
end
return {1, prev or false, before, after, current}
""")

# Counts, total, version and labels read at one instant (a vote between them would make
# the total disagree with the counts).
READ_TALLY = LuaScript("""
return {
  redis.call('HGETALL', KEYS[1]),
  redis.call('HLEN', KEYS[2]),
  redis.call('HGET', KEYS[3], 'v') or '0',
  redis.call('HGETALL', KEYS[4]),
}
""")

# One join per call (see BatchScript): ARGV[a] attendee id, a+1 its record, a+2 the
# token digest, a+3 the most attendees the event takes. KEYS: event, att, tok.
JOIN_EVENT = BatchScript("""
local ev = redis.call('HMGET', KEYS[1], 'rec', 'ended')
if not ev[1] then return {'unknown_event'} end
if ev[2] then return {'ended', ev[1], ev[2]} end
if redis.call('HLEN', KEYS[2]) >= tonumber(ARGV[a + 3]) then return {'full', ev[1]} end
redis.call('HSET', KEYS[2], ARGV[a], ARGV[a + 1])
redis.call('HSET', KEYS[3], ARGV[a + 2], ARGV[a])
return {'joined', ev[1]}""")

FIND_ATTENDEE = LuaScript("""
local id = redis.call('HGET', KEYS[1], ARGV[1])
if not id then return false end
return redis.call('HGET', KEYS[2], id)
""")

# One token per call (see BatchScript): ARGV[a] the rate (tokens a second), a+1 the
# burst. KEYS: the bucket. Redis' own clock, so hosts with skewed clocks agree; a bucket
# expires once it would be full again.
TAKE_TOKEN = BatchScript("""
local clock = redis.call('TIME')
local now = clock[1] * 1000 + math.floor(clock[2] / 1000)
local rate, burst = tonumber(ARGV[a]), tonumber(ARGV[a + 1])
local b = redis.call('HMGET', KEYS[1], 't', 's')
local tokens = burst
if b[1] then
  tokens = math.min(burst, tonumber(b[1]) + math.max(0, now - tonumber(b[2])) * rate / 1000)
end
if tokens < 1 then return math.floor((1 - tokens) * 1000 / rate) + 1 end
redis.call('HSET', KEYS[1], 't', tokens - 1, 's', now)
redis.call('PEXPIRE', KEYS[1], math.ceil((burst - tokens + 1) * 1000 / rate) + 1)
return 0""")

# A room added to the programme (Store.add_room). KEYS: the event hash, the rooms hash;
# ARGV: the room id, its record, the most room records the event takes.
ADD_ROOM = LuaScript("""
if redis.call('HEXISTS', KEYS[1], 'rec') == 0 then return 0 end
if redis.call('HLEN', KEYS[2]) >= tonumber(ARGV[3]) then return 0 end
return redis.call('HSETNX', KEYS[2], ARGV[1], ARGV[2])
""")

# Tickets (Store.add_tickets). KEYS: the activity hash, its tickets hash (ticket ->
# holder, '' while free); ARGV[1]: the most tickets it may hold, then the tickets. Adds
# all or none.
ADD_TICKETS = LuaScript("""
if redis.call('EXISTS', KEYS[1]) == 0 then return -1 end
local new = 0
for i = 2, #ARGV do
  if redis.call('HEXISTS', KEYS[2], ARGV[i]) == 0 then new = new + 1 end
end
local have = redis.call('HLEN', KEYS[2])
if have + new > tonumber(ARGV[1]) then return -1 end
for i = 2, #ARGV do redis.call('HSETNX', KEYS[2], ARGV[i], '') end
return redis.call('HLEN', KEYS[2])
""")

# Store.claim_ticket. KEYS: the tickets hash, the holders hash (holder -> ticket); ARGV:
# the ticket, the holder.
CLAIM_TICKET = LuaScript("""
local owner = redis.call('HGET', KEYS[1], ARGV[1])
if not owner then return 'unknown' end
if owner == ARGV[2] then return 'held' end
if owner ~= '' then return 'taken' end
if redis.call('HEXISTS', KEYS[2], ARGV[2]) == 1 then return 'other' end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
redis.call('HSET', KEYS[2], ARGV[2], ARGV[1])
return 'claimed'
""")

# A definition replaced only in one status (Store.update_definition). KEYS: the
# activity; ARGV: the status it must have, the new definition.
UPDATE_DEFINITION = LuaScript("""
local status = redis.call('HGET', KEYS[1], 'status')
if not status then return {0, 0} end
if status ~= ARGV[1] then return {1, 0} end
redis.call('HSET', KEYS[1], 'def', ARGV[2])
redis.call('HINCRBY', KEYS[1], 'sv', 1)
return {1, 1}
""")

# The running order (Store.reorder_activities). KEYS[1]: the ids list; ARGV: the new
# order, which must hold every id once.
REORDER_ACTIVITIES = LuaScript("""
local known = redis.call('LRANGE', KEYS[1], 0, -1)
local seen = {}
for _, id in ipairs(known) do seen[id] = true end
local distinct = 0
for _ in pairs(seen) do distinct = distinct + 1 end
if distinct ~= #ARGV then return 0 end
local given = {}
for _, id in ipairs(ARGV) do
  if not seen[id] or given[id] then return 0 end
  given[id] = true
end
redis.call('DEL', KEYS[1])
redis.call('RPUSH', KEYS[1], unpack(ARGV))
return 1
""")

#: Every script, loaded when the store starts.
SCRIPTS = (
    RECORD_ANSWER,
    TAKE_STAGE,
    CLAIM_BROADCAST,
    UPDATE_ACTIVITY,
    READ_TALLY,
    JOIN_EVENT,
    FIND_ATTENDEE,
    TAKE_TOKEN,
    ADD_ROOM,
    UPDATE_DEFINITION,
    REORDER_ACTIVITIES,
    ADD_ACTIVITY,
    ADD_TICKETS,
    CLAIM_TICKET,
)


def _unavailable_on_connection_errors(
    method: Callable[P, Coroutine[Any, Any, R]],
) -> Callable[P, Coroutine[Any, Any, R]]:
    """Turn "Redis is unreachable" into the client-facing StoreUnavailable error, logged
    once per outage (the store's :class:`Outage`), not once per call."""

    @functools.wraps(method)
    async def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        outage: Outage = args[0].outage  # type: ignore[attr-defined]
        try:
            result = await method(*args, **kwargs)
        except (RedisConnectionError, RedisTimeoutError, OSError) as exc:
            outage.failed(f"{method.__name__}: {exc}")
            raise StoreUnavailable(str(exc)) from exc
        if outage.ongoing:
            outage.ok()
        return result

    return wrapper


class Keys:
    """Key names. ``{code}`` is a Redis Cluster hash tag: one event, one slot."""

    EVENTS = "pl:events"
    PRESENCE = "pl:presence"

    @staticmethod
    def event(code: str) -> str:
        return f"pl:{{{code}}}:event"

    @staticmethod
    def attendees(code: str) -> str:
        return f"pl:{{{code}}}:att"

    @staticmethod
    def tokens(code: str) -> str:
        return f"pl:{{{code}}}:tok"

    @staticmethod
    def rooms(code: str) -> str:
        return f"pl:{{{code}}}:rooms"

    @staticmethod
    def activities(code: str) -> str:
        return f"pl:{{{code}}}:acts"

    @staticmethod
    def activity(code: str, aid: str) -> str:
        return f"pl:{{{code}}}:act:{aid}"

    @staticmethod
    def rate(bucket: str) -> str:
        """A shared rate limit's token bucket (``conn:<ip>``, ``lookup:<ip>``)."""
        return f"pl:{{{bucket}}}:rate"

    @staticmethod
    def answer_part(code: str, part: str, aid: str) -> str:
        """``ans`` (answers), ``keys`` (their counting keys), ``tally``, ``labels``,
        ``vids``, ``bc``, ``tix`` (tickets), ``tixh`` (their holders)."""
        return f"pl:{{{code}}}:{part}:{aid}"


def _activity_from_hash(aid: str, data: Mapping[bytes, bytes]) -> Activity:
    meta = {k[2:].decode(): codec.unpack(v) for k, v in data.items() if k.startswith(b"m:")}
    return Activity(
        aid,
        codec.unpack(data[b"def"]),
        data[b"status"].decode(),
        meta,
        int(data.get(b"sv", 0)),
    )


def _event_record(raw: bytes, ended: bytes | None) -> EventRecord:
    # Records written before join forms existed have four fields.
    code, title, key_digest, created_at, *rest = codec.unpack(raw)
    join = rest[0] if rest else {}
    return EventRecord(code, title, key_digest, created_at, int(ended) if ended else None, join)


def _pack_event(event: EventRecord) -> bytes:
    return codec.pack(
        [event.code, event.title, event.presenter_key_digest, event.created_at, dict(event.join)]
    )


def _pack_room(room: RoomRecord) -> bytes:
    return codec.pack(
        [
            room.id,
            room.title,
            room.position,
            room.description,
            room.starts_at,
            room.ends_at,
            room.presenter_key_digest,
            room.created_at,
            room.closed_at,
        ]
    )


def _unpack_room(raw: bytes) -> RoomRecord:
    return RoomRecord(*codec.unpack(raw))


def _attendee_record(attendee: AttendeeRecord) -> bytes:
    return codec.pack(
        [attendee.id, attendee.name, attendee.country, attendee.organisation, attendee.joined_at]
    )


class RedisStore(Store):
    """State in Redis, shared by every process that points at the same URL."""

    backend = "redis"
    shared = True

    def __init__(self, url: str, max_connections: int = 32) -> None:
        self.url = url
        self.max_connections = max_connections
        self.outage = Outage("redis store", log)
        self._redis: aioredis.Redis | None = None
        self._auto: AutoPipeline | None = None
        self._answer_keys_cache: dict[tuple[str, str], list[str]] = {}

    async def start(self) -> None:
        # Never more than max_connections sockets to Redis (Redis' maxclients is shared
        # by every process): a quarter in a bounded, blocking pool for direct commands
        # (scans, exports, transactions, pings), the rest for the pipeline that carries
        # every other command. Commands are pipelined per event-loop round, so a burst
        # needs a few connections, not one per caller.
        direct = max(1, self.max_connections // 4)
        pool = aioredis.BlockingConnectionPool.from_url(
            self.url,
            max_connections=direct,
            timeout=SOCKET_TIMEOUT_S,
            socket_connect_timeout=2,
            socket_timeout=SOCKET_TIMEOUT_S,
            health_check_interval=10,
            # Every write here is idempotent (answers by vote_id), so a command that
            # met a dead pooled connection (e.g. after a Redis restart) is retried.
            retry=Retry(ExponentialBackoff(cap=0.5, base=0.05), 3),
            retry_on_error=[RedisConnectionError, RedisTimeoutError],
        )
        pool.connection_class = with_hiredis_packing(pool.connection_class)
        self._redis = aioredis.Redis(connection_pool=pool, decode_responses=False)
        self._auto = AutoPipeline(
            self._redis,
            max_connections=max(1, self.max_connections - direct),
            timeout=SOCKET_TIMEOUT_S,
        )
        try:
            # Loaded now, the first burst of votes after a start does not meet NOSCRIPT
            # (which would cost it a round trip and an error per vote).
            await asyncio.gather(*(self._redis.script_load(s.source) for s in SCRIPTS))
        except (RedisConnectionError, RedisTimeoutError, OSError) as exc:
            # Not fatal: scripts are loaded on first use (as after a Redis restart).
            log.warning("redis unreachable at start, scripts not preloaded: %s", exc)

    async def close(self) -> None:
        if self._auto is not None:
            await self._auto.drain()
            await self._auto.close()
            self._auto = None
        if self._redis is not None:
            await self._redis.aclose(close_connection_pool=True)
            self._redis = None

    @property
    def redis(self) -> Any:
        # Typed as Any on purpose: redis-py annotates replies as unions of sync/async and
        # bytes/str; with decode_responses=False every reply here is bytes.
        if self._redis is None:
            raise RuntimeError("RedisStore.start() was not called")
        return self._redis

    @property
    def pipeline(self) -> AutoPipeline:
        """The shared per-round pipeline (its counters show how well commands batch)."""
        if self._auto is None:
            raise RuntimeError("RedisStore.start() was not called")
        return self._auto

    def _cmd(self, *args: Any) -> asyncio.Future[Any]:
        return self.pipeline.call(*args)

    async def _script(self, script: LuaScript, keys: list[Any], args: list[Any]) -> Any:
        return await self.pipeline.run_script(script, keys, args)

    async def ping(self) -> bool:
        try:
            return bool(await self.redis.ping())
        except (RedisConnectionError, RedisTimeoutError, OSError):
            return False

    # -- events -------------------------------------------------------------
    @_unavailable_on_connection_errors
    async def create_event(self, event: EventRecord) -> bool:
        created = await self._cmd(
            "HSETNX",
            Keys.event(event.code),
            "rec",
            _pack_event(event),
        )
        if created:
            await self._cmd("ZADD", Keys.EVENTS, event.created_at, event.code)
        return bool(created)

    @_unavailable_on_connection_errors
    async def get_event(self, code: str) -> EventRecord | None:
        raw, ended = await self._cmd("HMGET", Keys.event(code), "rec", "ended")
        return _event_record(raw, ended) if raw else None

    @_unavailable_on_connection_errors
    async def list_events(self) -> list[EventRecord]:
        codes = await self._cmd("ZRANGE", Keys.EVENTS, 0, -1)
        events = await asyncio.gather(*(self.get_event(c.decode()) for c in codes))
        gone = [c for c, e in zip(codes, events, strict=True) if e is None]
        if gone:  # expired events leave their code in the index: tidy up
            await self._cmd("ZREM", Keys.EVENTS, *gone)
        return [e for e in events if e is not None]

    @_unavailable_on_connection_errors
    async def set_join_form(self, code: str, join: Mapping[str, Any]) -> EventRecord | None:
        event = await self.get_event(code)
        if event is None:
            return None
        # The record's other fields never change after creation: no lost update.
        await self._cmd("HSET", Keys.event(code), "rec", _pack_event(replace(event, join=join)))
        return replace(event, join=dict(join))

    @_unavailable_on_connection_errors
    async def end_event(self, code: str, ended_at: int) -> EventRecord | None:
        if not await self._cmd("EXISTS", Keys.event(code)):
            return None
        await self._cmd("HSETNX", Keys.event(code), "ended", ended_at)
        return await self.get_event(code)

    async def _event_keys(self, code: str) -> list[bytes]:
        # The {code} hash tag makes the first pattern match exactly this event's keys;
        # the second matches its rooms' (scopes CODE/ROOM, see plenary.scopes).
        return [
            key
            for pattern in (f"pl:{{{code}}}:*", f"pl:{{{code}{SEPARATOR}*")
            async for key in self.redis.scan_iter(match=pattern, count=500)
        ]

    @_unavailable_on_connection_errors
    async def expire_event(self, code: str, ttl_s: int) -> None:
        keys = await self._event_keys(code)
        async with self.redis.pipeline(transaction=False) as pipe:
            for key in keys:
                pipe.expire(key, ttl_s)
            await pipe.execute()

    @_unavailable_on_connection_errors
    async def purge_event(self, code: str) -> None:
        keys = await self._event_keys(code)
        if keys:
            await self._cmd("DEL", *keys)
        await self._cmd("ZREM", Keys.EVENTS, code)

    # -- rooms --------------------------------------------------------------
    @_unavailable_on_connection_errors
    async def add_room(self, code: str, room: RoomRecord, max_rooms: int) -> bool:
        keys = [Keys.event(code), Keys.rooms(code)]
        return bool(await self._script(ADD_ROOM, keys, [room.id, _pack_room(room), max_rooms]))

    @_unavailable_on_connection_errors
    async def put_room(self, code: str, room: RoomRecord) -> None:
        await self._cmd("HSET", Keys.rooms(code), room.id, _pack_room(room))

    @_unavailable_on_connection_errors
    async def get_room(self, code: str, room_id: str) -> RoomRecord | None:
        raw = await self._cmd("HGET", Keys.rooms(code), room_id)
        return _unpack_room(raw) if raw else None

    @_unavailable_on_connection_errors
    async def list_rooms(self, code: str) -> list[RoomRecord]:
        raw = await self._cmd("HVALS", Keys.rooms(code))
        rooms = [_unpack_room(value) for value in raw]
        return sorted(rooms, key=lambda r: (r.position, r.created_at, r.id))

    # -- attendees ----------------------------------------------------------
    @_unavailable_on_connection_errors
    async def join_event(
        self, code: str, attendee: AttendeeRecord, token_digest: str, max_attendees: int
    ) -> JoinResult:
        reply = await self.pipeline.run_batched(
            JOIN_EVENT,
            [Keys.event(code), Keys.attendees(code), Keys.tokens(code)],
            [attendee.id, _attendee_record(attendee), token_digest, max_attendees],
        )
        outcome = JoinOutcome(reply[0].decode())
        if outcome is JoinOutcome.UNKNOWN_EVENT:
            return JoinResult(outcome)
        return JoinResult(outcome, _event_record(reply[1], reply[2] if len(reply) > 2 else None))

    @_unavailable_on_connection_errors
    async def find_attendee(self, code: str, token_digest: str) -> AttendeeRecord | None:
        raw = await self._script(
            FIND_ATTENDEE, [Keys.tokens(code), Keys.attendees(code)], [token_digest]
        )
        return AttendeeRecord(*codec.unpack(raw)) if raw else None

    @_unavailable_on_connection_errors
    async def list_attendees(self, code: str) -> list[AttendeeRecord]:
        raw = await self._cmd("HGETALL", Keys.attendees(code))
        records = [AttendeeRecord(*codec.unpack(v)) for v in raw.values()]
        return sorted(records, key=lambda a: (a.joined_at, a.id))

    @_unavailable_on_connection_errors
    async def count_attendees(self, code: str) -> int:
        return int(await self._cmd("HLEN", Keys.attendees(code)))

    # -- activities ---------------------------------------------------------
    @_unavailable_on_connection_errors
    async def add_activity(
        self, code: str, activity_id: str, definition: Mapping[str, Any], status: str
    ) -> bool:
        added = await self._script(
            ADD_ACTIVITY,
            [Keys.activity(code, activity_id), Keys.activities(code)],
            [activity_id, codec.pack(dict(definition)), status],
        )
        return bool(added)

    @_unavailable_on_connection_errors
    async def get_activity(self, code: str, activity_id: str) -> Activity | None:
        data = await self._cmd("HGETALL", Keys.activity(code, activity_id))
        return _activity_from_hash(activity_id, data) if data else None

    @_unavailable_on_connection_errors
    async def list_activities(self, code: str) -> list[Activity]:
        # dict.fromkeys: a retried add_activity may have pushed an id twice.
        ids = list(
            dict.fromkeys(
                i.decode() for i in await self._cmd("LRANGE", Keys.activities(code), 0, -1)
            )
        )
        rows = await asyncio.gather(
            *(self._cmd("HGETALL", Keys.activity(code, aid)) for aid in ids)
        )
        return [_activity_from_hash(aid, row) for aid, row in zip(ids, rows, strict=True) if row]

    @_unavailable_on_connection_errors
    async def update_activity(
        self,
        code: str,
        activity_id: str,
        status: str | None,
        meta: Mapping[str, Any],
        expect: str | None = None,
        if_seq: int | None = None,
    ) -> Activity | None:
        args: list[Any] = [expect or "", "" if if_seq is None else if_seq]
        if status is not None:
            args += ["status", status]
        for name, value in meta.items():
            args += [f"m:{name}", codec.pack(value)]
        key = Keys.activity(code, activity_id)
        if not await self._script(UPDATE_ACTIVITY, [key], args):
            return None
        return await self.get_activity(code, activity_id)

    @_unavailable_on_connection_errors
    async def update_definition(
        self, code: str, activity_id: str, definition: Mapping[str, Any], if_status: str
    ) -> tuple[bool, Activity | None]:
        exists, done = await self._script(
            UPDATE_DEFINITION,
            [Keys.activity(code, activity_id)],
            [if_status, codec.pack(dict(definition))],
        )
        if not exists:
            return False, None
        return bool(done), await self.get_activity(code, activity_id)

    @_unavailable_on_connection_errors
    async def delete_activity(self, code: str, activity_id: str) -> bool:
        parts = ("ans", "keys", "tally", "labels", "vids", "bc", "tix", "tixh")
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.delete(Keys.activity(code, activity_id))
            pipe.delete(*(Keys.answer_part(code, part, activity_id) for part in parts))
            pipe.lrem(Keys.activities(code), 0, activity_id)
            found, *_ = await pipe.execute()
        # Off the stage if it was on it (a later take_stage would find it missing).
        if await self._cmd("HGET", Keys.event(code), "current") == activity_id.encode():
            await self._cmd("HDEL", Keys.event(code), "current")
        self._answer_keys_cache.pop((code, activity_id), None)
        return bool(found)

    @_unavailable_on_connection_errors
    async def reorder_activities(self, code: str, order: list[str]) -> bool:
        if not order:
            return not await self._cmd("LLEN", Keys.activities(code))
        return bool(await self._script(REORDER_ACTIVITIES, [Keys.activities(code)], order))

    @_unavailable_on_connection_errors
    async def set_current(self, code: str, activity_id: str | None) -> None:
        if activity_id is None:
            await self._cmd("HDEL", Keys.event(code), "current")
        else:
            await self._cmd("HSET", Keys.event(code), "current", activity_id)

    @_unavailable_on_connection_errors
    async def get_current(self, code: str) -> str | None:
        raw = await self._cmd("HGET", Keys.event(code), "current")
        return raw.decode() if raw else None

    @_unavailable_on_connection_errors
    async def take_stage(
        self,
        code: str,
        activity_id: str | None,
        status: str | None,
        meta: Mapping[str, Any],
        closed_meta: Mapping[str, Any],
    ) -> StageChange:
        pairs: list[Any] = []
        for values in (meta, closed_meta):
            for name, value in values.items():
                pairs += [f"m:{name}", codec.pack(value)]
        target = Keys.activity(code, activity_id) if activity_id is not None else ""
        reply = await self._script(
            TAKE_STAGE,
            [Keys.event(code), target],
            [Keys.activity(code, ""), activity_id or "", status or "", len(meta), *pairs],
        )
        if not reply[0]:
            return StageChange()
        previous = reply[1].decode() if reply[1] else ""

        def record(aid: str, flat: Any) -> Activity | None:
            if not flat:
                return None
            return _activity_from_hash(aid, dict(zip(flat[::2], flat[1::2], strict=True)))

        return StageChange(
            record(previous, reply[2]),
            record(previous, reply[3]),
            record(activity_id or "", reply[4]),
        )

    # -- answers ------------------------------------------------------------
    @_unavailable_on_connection_errors
    async def record_answer(
        self,
        code: str,
        activity_id: str,
        attendee_id: str,
        vote_id: str,
        keys: tuple[str, ...],
        value: Any,
        ts: int,
        labels: Mapping[str, str] | None = None,
        open_status: str = "open",
    ) -> RecordResult:
        args = [
            attendee_id,
            vote_id,
            codec.pack([value, list(keys), vote_id, ts]),
            KEY_SEPARATOR.join(keys),
            open_status,
            len(keys),
            *keys,
        ]
        if labels:
            for pair in labels.items():
                args.extend(pair)
        outcome, version = await self.pipeline.run_batched(
            RECORD_ANSWER, self._answer_keys(code, activity_id), args
        )
        return RecordResult(RECORD_OUTCOMES[outcome], int(version))

    def _answer_keys(self, code: str, activity_id: str) -> list[str]:
        """RECORD_ANSWER's keys for an activity, built once (a burst of votes is on one
        activity). The cache holds the latest few activities only."""
        found = self._answer_keys_cache.get((code, activity_id))
        if found is None:
            if len(self._answer_keys_cache) >= 256:
                self._answer_keys_cache.clear()
            part = functools.partial(Keys.answer_part, code, aid=activity_id)
            found = self._answer_keys_cache[(code, activity_id)] = [
                Keys.activity(code, activity_id),
                part(part="vids"),
                part(part="ans"),
                part(part="keys"),
                part(part="tally"),
                part(part="labels"),
            ]
        return found

    @_unavailable_on_connection_errors
    async def get_tally(self, code: str, activity_id: str) -> Tally:
        counts, total, version, labels = await self._script(
            READ_TALLY,
            [
                Keys.answer_part(code, "tally", activity_id),
                Keys.answer_part(code, "ans", activity_id),
                Keys.activity(code, activity_id),
                Keys.answer_part(code, "labels", activity_id),
            ],
            [],
        )
        return Tally(
            {k.decode(): int(v) for k, v in _pairs(counts)},
            int(total),
            int(version),
            {k.decode(): v.decode() for k, v in _pairs(labels)},
        )

    @_unavailable_on_connection_errors
    async def get_answer(
        self, code: str, activity_id: str, attendee_id: str
    ) -> AnswerRecord | None:
        raw = await self._cmd("HGET", Keys.answer_part(code, "ans", activity_id), attendee_id)
        return _answer(raw) if raw else None

    @_unavailable_on_connection_errors
    async def list_answers(self, code: str, activity_id: str) -> dict[str, AnswerRecord]:
        raw = await self._cmd("HGETALL", Keys.answer_part(code, "ans", activity_id))
        return {k.decode(): _answer(v) for k, v in raw.items()}

    @_unavailable_on_connection_errors
    async def claim_broadcast(
        self, code: str, activity_id: str, version: int, window_ms: int
    ) -> Claim:
        kind, claimed, wait_ms = await self._script(
            CLAIM_BROADCAST,
            [Keys.activity(code, activity_id), Keys.answer_part(code, "bc", activity_id)],
            [version, window_ms],
        )
        return Claim(ClaimKind(kind.decode()), int(claimed), int(wait_ms))

    # -- tickets ------------------------------------------------------------
    @_unavailable_on_connection_errors
    async def add_tickets(
        self, code: str, activity_id: str, tickets: Collection[str], max_tickets: int
    ) -> int | None:
        keys = [Keys.activity(code, activity_id), Keys.answer_part(code, "tix", activity_id)]
        count = int(await self._script(ADD_TICKETS, keys, [max_tickets, *tickets]))
        return None if count < 0 else count

    @_unavailable_on_connection_errors
    async def claim_ticket(
        self, code: str, activity_id: str, ticket: str, holder: str
    ) -> TicketOutcome:
        keys = [
            Keys.answer_part(code, "tix", activity_id),
            Keys.answer_part(code, "tixh", activity_id),
        ]
        return TicketOutcome((await self._script(CLAIM_TICKET, keys, [ticket, holder])).decode())

    @_unavailable_on_connection_errors
    async def ticket_of(self, code: str, activity_id: str, holder: str) -> str | None:
        raw = await self._cmd("HGET", Keys.answer_part(code, "tixh", activity_id), holder)
        return raw.decode() if raw else None

    @_unavailable_on_connection_errors
    async def count_tickets(self, code: str, activity_id: str) -> tuple[int, int]:
        tickets, held = await asyncio.gather(
            self._cmd("HLEN", Keys.answer_part(code, "tix", activity_id)),
            self._cmd("HLEN", Keys.answer_part(code, "tixh", activity_id)),
        )
        return int(tickets), int(held)

    # -- rate limits --------------------------------------------------------
    @_unavailable_on_connection_errors
    async def take_token(self, bucket: str, rate: float, burst: int) -> int:
        # Batched: the takes of one round from one bucket (a burst from one address)
        # are one script call.
        return int(await self.pipeline.run_batched(TAKE_TOKEN, [Keys.rate(bucket)], [rate, burst]))

    # -- presence -----------------------------------------------------------
    @_unavailable_on_connection_errors
    async def set_presence(self, process_id: str, counts: Mapping[str, int], now: int) -> None:
        await self._cmd("HSET", Keys.PRESENCE, process_id, codec.pack([now, dict(counts)]))

    @_unavailable_on_connection_errors
    async def list_presence(self) -> dict[str, tuple[int, dict[str, int]]]:
        raw = await self._cmd("HGETALL", Keys.PRESENCE)
        return {pid.decode(): tuple(codec.unpack(value)) for pid, value in raw.items()}

    @_unavailable_on_connection_errors
    async def count_online(self, code: str, now: int) -> int:
        presence = {}
        stale = []
        for process_id, raw in (await self._cmd("HGETALL", Keys.PRESENCE)).items():
            seen, counts = codec.unpack(raw)
            presence[process_id] = (seen, counts)
            if now - seen > 4 * PRESENCE_TTL_MS:
                stale.append(process_id)  # a process that died long ago: tidy up
        if stale:
            await self._cmd("HDEL", Keys.PRESENCE, *stale)
        return sum(online_by_room(presence, code, now).values())


def _pairs(flat: list[bytes]) -> zip[tuple[bytes, bytes]]:
    """``[k1, v1, k2, v2, ...]`` (a Lua script's HGETALL) as ``(k, v)`` pairs."""
    return zip(flat[::2], flat[1::2], strict=True)


def _answer(raw: bytes) -> AnswerRecord:
    value, keys, vote_id, ts = codec.unpack(raw)
    return AnswerRecord(value, tuple(keys), vote_id, ts)
