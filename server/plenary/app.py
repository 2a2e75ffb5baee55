"""Builds the aiohttp application: Socket.IO server, store, services and routes.

Nothing connects at build time; connections open in :func:`lifecycle` (an aiohttp
``cleanup_ctx``), which also owns every background task and stops it at shutdown.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from pathlib import Path
from typing import Any

from aiohttp import web

from plenary import event_messages, ids, installed, programme_api
from plenary.clock import now_ms
from plenary.event_service import EventService
from plenary.http_api import page_urls, setup_routes
from plenary.metrics import Metrics
from plenary.realtime.broadcast import Broadcaster
from plenary.realtime.gateway import Gateway
from plenary.realtime.presence import Presence
from plenary.realtime.router import Router
from plenary.realtime.session import Sessions
from plenary.realtime.wire import attach_services, create_socket_server
from plenary.retention import EventRetention, ExportArchive
from plenary.rooms import handlers as room_messages
from plenary.rooms.programme import Programme
from plenary.services import SERVICES, SETTINGS, Demo, Services
from plenary.settings import Settings
from plenary.stage.kinds import KindContext, KindPlugin, Kinds
from plenary.stage.stage import Stage
from plenary.store import store_for
from plenary.tasks import TaskOwner, run_forever

log = logging.getLogger(__name__)

SWEEP_INTERVAL_S = 30.0
#: The longest one step of the shutdown may take (see stop_within).
STOP_STEP_TIMEOUT_S = 5.0

DEFAULT_WEB_ROOT = Path(__file__).resolve().parents[2] / "clients" / "web"


def build_app(
    settings: Settings,
    on_ready: Callable[[Services], Any] | None = None,
    web_root: Path = DEFAULT_WEB_ROOT,
    kinds: Sequence[KindPlugin] | None = None,
) -> web.Application:
    """A ready-to-run application (start it with ``web.run_app`` or an ``AppRunner``),
    running the installed activity kinds (``plenary/activities/``) or ``kinds``."""
    app = web.Application(client_max_size=settings.limits.max_payload_bytes * 4)
    sio = create_socket_server(settings)
    sio.attach(app)
    store = store_for(settings)
    sessions = Sessions()
    metrics = Metrics()
    broadcaster = Broadcaster(sio, metrics, sessions)
    events = EventService(store, settings.limits)
    registry = Kinds()
    stage = Stage(store, registry)
    context = KindContext(settings, store, broadcaster, stage)
    for plugin in installed.plugins() if kinds is None else kinds:
        registry.add(plugin.build(context))
    programme = Programme(store, broadcaster, stage, settings.limits)
    process_id = ids.new_id("proc")
    presence = Presence(store, sessions, broadcaster, process_id, metrics)
    gateway = Gateway(
        sio,
        store,
        sessions,
        events,
        registry,
        programme,
        broadcaster,
        presence,
        settings.limits,
        metrics,
        trust_forwarded_for=settings.trust_forwarded_for,
    )
    attach_services(sio, metrics, gateway.admission, settings.limits.connect_timeout_s)

    async def on_resubscribe() -> None:
        metrics.redis_reconnects.inc()
        await gateway.resync_all()

    sio.manager.on_resubscribe = on_resubscribe
    sio.manager.on_resync_event = gateway.resync_event
    router = Router(sessions, metrics)
    gateway.attach(router)
    retention = EventRetention(
        store,
        programme,
        stage,
        registry,
        broadcaster,
        ExportArchive(Path(settings.export_dir).expanduser()),
        settings.retention_s,
    )
    room_messages.register(router, programme, gateway)
    event_messages.register(router, retention, events)
    registry.register(router)
    router.attach(sio)
    services = Services(
        settings=settings,
        store=store,
        sio=sio,
        sessions=sessions,
        events=events,
        kinds=registry,
        stage=stage,
        programme=programme,
        presence=presence,
        gateway=gateway,
        process_id=process_id,
        metrics=metrics,
        retention=retention,
        broadcaster=broadcaster,
    )
    if on_ready is not None:
        services.on_ready.append(on_ready)
    app[SETTINGS] = settings
    app[SERVICES] = services
    app.cleanup_ctx.append(lifecycle)
    app.on_shutdown.append(close_sockets)
    setup_routes(app, web_root)
    programme_api.setup(app)
    return app


async def lifecycle(app: web.Application) -> AsyncIterator[None]:
    """Open the store, start background work; on the way out stop it all in order."""
    services = app[SERVICES]
    settings = services.settings
    await services.store.start()
    if not await services.store.ping():
        log.warning("store %s is not reachable yet; /healthz reports it", services.store.backend)
    # Start the cross-process listener now rather than at the first connection, so a
    # process without clients still serves emits made through it.
    sio = services.sio
    if not sio.manager_initialized:
        sio.manager_initialized = True
        sio.manager.initialize()
    loops = TaskOwner("app-loops")
    loops.spawn(
        run_forever("presence", services.presence.tick, settings.presence_interval_ms / 1000),
        name="presence",
    )
    loops.spawn(run_forever("loop-lag", services.metrics.measure_loop_lag, 0.0), name="loop-lag")

    async def sweep() -> None:
        await services.store.sweep(now_ms())

    loops.spawn(run_forever("expiry-sweep", sweep, SWEEP_INTERVAL_S), name="expiry-sweep")
    if settings.create_demo:
        services.demo = await create_demo(services)
    log.info(
        "plenary ready on %s (store: %s, process %s)",
        settings.base_url,
        services.store.backend,
        services.process_id,
    )
    for callback in services.on_ready:
        callback(services)
    try:
        yield
    finally:
        steps: list[tuple[str, Callable[[], Awaitable[None]]]] = [
            ("background loops", loops.stop),
            ("welcome tasks", services.gateway.tasks.stop),
            ("activity kinds", services.kinds.stop),
            ("client manager", sio.manager.stop),
            ("socket server", sio.shutdown),
            ("store", services.store.close),
        ]
        for name, step in steps:
            await stop_within(name, step, STOP_STEP_TIMEOUT_S)
        log.info("plenary stopped (process %s)", services.process_id)


async def stop_within(name: str, step: Callable[[], Awaitable[None]], timeout_s: float) -> None:
    """One step of the shutdown, given at most ``timeout_s``: a step that hangs (a
    connection that never answers) must not keep the process, or the next steps, from
    stopping. Said in the log, since it should not happen."""
    try:
        await asyncio.wait_for(step(), timeout_s)
    except TimeoutError:
        log.warning("shutdown: %s did not stop within %g s; going on", name, timeout_s)


async def close_sockets(app: web.Application) -> None:
    """Drop every client connection at shutdown so clients reconnect at once (to another
    process, if there is one) instead of waiting for a ping timeout.

    The TCP connections are closed without an engine.io CLOSE packet on purpose: clients
    (socket.io-client, python-socketio) treat a CLOSE packet as "the server sent me
    away" and do not reconnect, while a dropped transport makes them reconnect."""
    sio = app[SERVICES].sio
    dropped = 0
    for eio_sid in list(sio.eio.sockets):
        request = sio.environ.get(eio_sid, {}).get("aiohttp.request")
        transport = getattr(request, "transport", None)
        if transport is not None and not transport.is_closing():
            transport.close()
            dropped += 1
    if dropped:
        log.info("shutdown: dropped %d client connections so they reconnect elsewhere", dropped)


async def create_demo(services: Services) -> Demo:
    """A ready event with a few draft activities of each kind that offers some, so a
    newcomer can start at once."""
    event, key = await services.events.create_event("Plenary demo")
    for kind in services.kinds.values():
        await kind.demo(event.code)
    return Demo(event.code, key, page_urls(services.settings.base_url, event.code, key))
