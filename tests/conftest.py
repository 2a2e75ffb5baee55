"""Shared fixtures: a real redis-server per session, the real server per test, the
``backend`` parameter that runs a test against both stores, and two ``plenary serve``
processes sharing the real Redis."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest

from tests.support.redis_proc import RedisProcess
from tests.support.server import (
    RunningServer,
    ServerProcess,
    create_event,
    running_server,
    server_processes,
)

BACKENDS = ["memory", "redis"]


@pytest.fixture(scope="session")
def redis_proc() -> Iterator[RedisProcess]:
    proc = RedisProcess().start()
    yield proc
    proc.cleanup()


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def redis_url(backend: str, request: pytest.FixtureRequest) -> str | None:
    """None for the memory backend; a freshly flushed real Redis for the redis one."""
    if backend == "memory":
        return None
    proc: RedisProcess = request.getfixturevalue("redis_proc")
    proc.flush()
    return proc.url


@pytest.fixture
async def server(redis_url: str | None) -> AsyncIterator[RunningServer]:
    async with running_server(redis_url) as running:
        yield running


@pytest.fixture
async def event(server: RunningServer) -> dict[str, str]:
    return await create_event(server.url)


@pytest.fixture
def two_servers(redis_proc: RedisProcess) -> Iterator[tuple[ServerProcess, ServerProcess]]:
    """Two ``plenary serve`` processes on one freshly flushed real Redis (scaled mode)."""
    with server_processes(redis_proc) as pair:
        yield pair
