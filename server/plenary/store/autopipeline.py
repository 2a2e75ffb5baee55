"""Automatic pipelining: the Redis commands issued during one event-loop round travel
together, in one pipeline on one connection.

Why: in a vote burst or a join storm, hundreds of coroutines each want one or two Redis
commands at the same moment. Sent one by one, each takes a connection from the pool for
its round trip, so a lagging event loop holds many connections at once and the bounded
pool runs dry (``unavailable`` acks), and every command pays redis-py's per-call cost
(pool checkout, one socket write and read, an await). Batched, one round trip answers a
whole round of callers, the way ioredis' ``enableAutoPipelining`` works.

Semantics are those of separate commands: each caller gets its own reply or its own
error (a Lua script that fails fails alone); commands of one round run in the order they
were issued; nothing is transactional across callers. A connection error fails every
caller of the batch with that error, after redis-py's own retries (every write the store
sends is idempotent, so a retried batch is safe).

The pipeline keeps connections of its own (as many as pipelines in flight, bounded):
taking one from redis-py's pool, with the pool's checks, cost more than a round's
commands, and so did redis-py's timer on every write and every reply. One deadline
covers an exchange instead; a connection whose exchange failed or was cancelled is
closed before it is used again, so a late reply is never read as another's.

A script written for it (:class:`BatchScript`) goes further: the calls of one round with
the same keys become one ``EVALSHA`` that runs them all, in order, and returns one reply
per call. A burst of votes on one poll then costs Redis one script call per round and
redis-py one reply to parse, instead of one of each per vote. The difference: if that
script fails as a whole (Redis out of memory, say), every call in it gets the error.
"""

from __future__ import annotations

import asyncio
import copy
import hashlib
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import NoScriptError, ResponseError
from redis.exceptions import TimeoutError as RedisTimeoutError

from plenary.singleflight import SingleFlight

log = logging.getLogger(__name__)

#: Commands per pipeline: bounds one write and the replies a reader parses in one go.
MAX_BATCH = 512
#: Pipelines in flight at once, each on a connection of its own.
MAX_CONNECTIONS = 32
#: The longest one exchange (a write and its replies) may take before it counts as
#: failed (and is retried on a new connection).
EXCHANGE_TIMEOUT_S = 5.0

Pending = tuple[tuple[Any, ...], "asyncio.Future[Any]"]


class LuaScript:
    """A Lua script run by its SHA1 (``EVALSHA``), loaded again if Redis forgot it
    (a restarted Redis has an empty script cache)."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.sha = hashlib.sha1(source.encode()).hexdigest()


class BatchScript(LuaScript):
    """A Lua script that runs several calls at once: its ARGV is the calls' arguments,
    each preceded by their number (``n1, a1..., n2, a2...``), and it returns a table with
    one reply per call, in order. ``body`` is the script for one call, written as the
    function ``run(a, n)`` whose arguments are ``ARGV[a]`` to ``ARGV[a + n - 1]``."""

    def __init__(self, body: str) -> None:
        super().__init__(
            "local function run(a, n)\n"
            + body
            + "\nend\n"
            + "local out, i = {}, 1\n"
            + "while i <= #ARGV do\n"
            + "  local n = tonumber(ARGV[i])\n"
            + "  out[#out + 1] = run(i + 1, n)\n"
            + "  i = i + 1 + n\n"
            + "end\n"
            + "return out\n"
        )


class _Group:
    """The calls of one round to one batch script with the same keys."""

    __slots__ = ("calls", "keys", "script")

    def __init__(self, script: BatchScript, keys: tuple[Any, ...]) -> None:
        self.script = script
        self.keys = keys
        self.calls: list[tuple[list[Any], asyncio.Future[Any]]] = []


class AutoPipeline:
    """Queues commands and sends each event-loop round's queue as one pipeline.

    ``redis`` is a ``redis.asyncio.Redis`` client; its connection pool, retry policy and
    reply callbacks (``HGETALL`` gives a dict, and so on) apply as for direct calls.
    """

    def __init__(
        self,
        redis: Any,
        max_batch: int = MAX_BATCH,
        max_connections: int = MAX_CONNECTIONS,
        timeout: float = EXCHANGE_TIMEOUT_S,
    ) -> None:
        self._redis = redis
        self._max_batch = max_batch
        pool = redis.connection_pool
        # The pipeline's own connections (see _exchange): the client's kind, without
        # redis-py's timeout on every write and read; one deadline covers an exchange.
        self._connection_class = pool.connection_class
        self._connection_kwargs = {**pool.connection_kwargs, "socket_timeout": None}
        self._idle: list[Any] = []
        self._slots = asyncio.Semaphore(max_connections)
        self._timeout = timeout
        self._pending: list[Pending | _Group] = []
        self._groups: dict[tuple[str, tuple[Any, ...]], _Group] = {}
        self._scheduled = False
        self._in_flight: set[asyncio.Task[None]] = set()
        self._loading: SingleFlight[str, Any] = SingleFlight()
        self.batches = 0  # pipelines sent; for tests and benchmarks
        self.commands = 0

    def call(self, *args: Any) -> asyncio.Future[Any]:
        """Queue one command (``"HGET", key, field``); the future holds its reply."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[Any] = loop.create_future()
        self._pending.append((args, future))
        self._schedule(loop)
        return future

    def _schedule(self, loop: asyncio.AbstractEventLoop) -> None:
        if not self._scheduled:
            self._scheduled = True
            # call_soon runs after every callback already ready in this round, so all
            # the coroutines resumed in this round have queued their commands by then.
            loop.call_soon(self._flush)

    async def run_batched(self, script: BatchScript, keys: list[Any], args: list[Any]) -> Any:
        """One call of ``script``, run together with the other calls of this round that
        have the same keys (in the pipeline where the first of them was queued)."""
        # _with_script's NOSCRIPT retry, written out: this is every vote's way.
        try:
            return await self._call_batched(script, keys, args)
        except NoScriptError:
            await self._load(script)
            return await self._call_batched(script, keys, args)

    def _call_batched(
        self, script: BatchScript, keys: list[Any], args: list[Any]
    ) -> asyncio.Future[Any]:
        loop = asyncio.get_running_loop()
        future: asyncio.Future[Any] = loop.create_future()
        group_key = (script.sha, tuple(keys))
        group = self._groups.get(group_key)
        if group is None or len(group.calls) >= self._max_batch:
            group = self._groups[group_key] = _Group(script, group_key[1])
            self._pending.append(group)
        group.calls.append((args, future))
        self._schedule(loop)
        return future

    async def run_script(self, script: LuaScript, keys: list[Any], args: list[Any]) -> Any:
        """Run ``script`` atomically (it is one command) within the shared pipeline."""
        return await self._with_script(
            script, lambda: self.call("EVALSHA", script.sha, len(keys), *keys, *args)
        )

    async def _with_script(self, script: LuaScript, send: Callable[[], Awaitable[Any]]) -> Any:
        """``send()``, and if Redis does not know ``script`` (NOSCRIPT), load it and
        ``send()`` again: it was not run at all, so running it now is no repeat."""
        try:
            return await send()
        except NoScriptError:
            await self._load(script)
            return await send()

    async def _load(self, script: LuaScript) -> None:
        # A burst that meets an empty script cache loads each script once, not once
        # per caller.
        await self._loading.run(script.sha, lambda: self.call("SCRIPT", "LOAD", script.source))

    async def drain(self) -> None:
        """Wait for the pipelines in flight (at shutdown, before closing the pool)."""
        while self._pending or self._in_flight:
            if self._pending:
                await asyncio.sleep(0)
                continue
            await asyncio.gather(*self._in_flight, return_exceptions=True)

    def _flush(self) -> None:
        self._scheduled = False
        queued, self._pending = self._pending, []
        self._groups.clear()
        pending: list[Pending] = []
        for item in queued:
            if not isinstance(item, _Group):
                pending.append(item)
            elif any(not future.done() for _, future in item.calls):
                pending.append(_group_command(item))
        for start in range(0, len(pending), self._max_batch):
            batch = pending[start : start + self._max_batch]
            task = asyncio.get_running_loop().create_task(self._send(batch))
            self._in_flight.add(task)
            task.add_done_callback(self._in_flight.discard)

    async def _send(self, batch: list[Pending]) -> None:
        live = [(args, future) for args, future in batch if not future.done()]
        if not live:
            return  # every caller gave up (cancelled) before the round ended
        self.batches += 1
        self.commands += len(live)
        try:
            replies = await self._exchange([args for args, _ in live])
        except asyncio.CancelledError:
            for _, future in live:
                future.cancel()
            raise
        except Exception as exc:  # connection lost after retries, pool timeout, ...
            for _, future in live:
                if not future.done():
                    future.set_exception(_twin(exc))
            return
        for (_, future), reply in zip(live, replies, strict=True):
            if future.done():
                continue
            if isinstance(reply, Exception):
                future.set_exception(reply)
            else:
                future.set_result(reply)

    async def _exchange(self, commands: list[tuple[Any, ...]]) -> list[Any]:
        """Send ``commands`` in one write on one of the pipeline's connections and read
        their replies: what redis-py's ``Pipeline.execute(raise_on_error=False)`` does,
        without the pipeline object, the pool's checkout and checks, and a timer per
        write and per reply, which cost more than the commands here. One deadline
        (``timeout``) covers the exchange. A connection error or a missed deadline is
        retried on a new connection by redis-py's retry policy (the store's commands are
        idempotent); a command's error is its reply."""
        callbacks = self._redis.response_callbacks
        try:
            async with asyncio.timeout(self._timeout):
                await self._slots.acquire()
        except TimeoutError:  # every connection busy this long: Redis is this slow
            raise RedisConnectionError(
                f"no Redis connection was free within {self._timeout:g} s"
            ) from None
        connection = self._idle.pop() if self._idle else self._new_connection()
        clean = False

        async def once() -> list[Any]:
            try:
                async with asyncio.timeout(self._timeout):
                    await connection.send_packed_command(connection.pack_commands(commands))
                    replies: list[Any] = []
                    for args in commands:
                        try:
                            reply = await connection.read_response()
                        except ResponseError as error:
                            replies.append(error)
                            continue
                        callback = callbacks.get(args[0])
                        replies.append(callback(reply) if callback is not None else reply)
                    return replies
            except TimeoutError:
                raise RedisTimeoutError(
                    f"Redis did not answer within {self._timeout:g} s"
                ) from None

        async def on_failure(error: Exception) -> None:
            await connection.disconnect()  # connects anew on the next attempt

        try:
            replies: list[Any] = await connection.retry.call_with_retry(once, on_failure)
            clean = True
            return replies
        finally:
            if not clean:
                # Replies may still be on their way (cancelled, or failed for good): this
                # connection must not be read by the next exchange.
                await connection.disconnect(nowait=True)
            self._idle.append(connection)
            self._slots.release()

    def _new_connection(self) -> Any:
        return self._connection_class(**self._connection_kwargs)

    async def close(self) -> None:
        """Close the pipeline's connections (after :meth:`drain`)."""
        idle, self._idle = self._idle, []
        for connection in idle:
            await connection.disconnect()


def _group_command(group: _Group) -> Pending:
    """One ``EVALSHA`` for a group of calls, and a future that hands each call its own
    reply (or the error)."""
    calls = [(args, future) for args, future in group.calls if not future.done()]
    flat: list[Any] = []
    for args, _ in calls:
        flat.append(len(args))
        flat.extend(args)
    combined: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
    combined.add_done_callback(lambda done: _hand_out(done, calls))
    keys = group.keys
    return ("EVALSHA", group.script.sha, len(keys), *keys, *flat), combined


def _hand_out(done: asyncio.Future[Any], calls: list[tuple[Any, asyncio.Future[Any]]]) -> None:
    if done.cancelled():
        for _, future in calls:
            future.cancel()
        return
    exc = done.exception()
    replies = done.result() if exc is None else None
    if exc is None and not (isinstance(replies, list) and len(replies) == len(calls)):
        exc = RuntimeError(f"a batch script returned {replies!r:.80} for {len(calls)} calls")
    for i, (_, future) in enumerate(calls):
        if future.done():
            continue
        if exc is not None:
            future.set_exception(_twin(exc) if i else exc)
        else:
            future.set_result(replies[i])  # type: ignore[index]


def _twin(exc: BaseException) -> BaseException:
    """A copy of ``exc`` for one caller. Raising one exception object in many
    coroutines would chain every caller's traceback onto it (a burst of 1,000 votes
    during a Redis outage would build a traceback 1,000 callers long)."""
    try:
        twin = copy.copy(exc)
    except Exception:  # an exception type that cannot be copied: keep the original
        return exc
    twin.__traceback__ = None
    return twin
