"""REST endpoints and the web pages. Thin: parse, call a service, answer JSON."""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import orjson
from aiohttp import web

from plenary import ids
from plenary.errors import ErrorCode, PlenaryError, bad_request
from plenary.export import build_export, to_csv, to_json
from plenary.join_form import JoinForm
from plenary.metrics import CONTENT_TYPE_LATEST
from plenary.services import SERVICES, SETTINGS
from plenary.stage.kinds import KindRequest, KindRoute
from plenary.store import EventRecord

HTTP_STATUS = {
    ErrorCode.BAD_REQUEST: 400,
    ErrorCode.TOO_LONG: 400,
    ErrorCode.UNAUTHORIZED: 401,
    ErrorCode.BAD_KEY: 403,
    ErrorCode.FORBIDDEN: 403,
    ErrorCode.NOT_FOUND: 404,
    ErrorCode.UNKNOWN_EVENT: 404,
    ErrorCode.RATE_LIMITED: 429,
    ErrorCode.UNAVAILABLE: 503,
}

#: The deepest nesting of arrays and objects a REST body may have (the API's bodies are
#: flat objects; deeper JSON is refused before anything walks it).
MAX_JSON_DEPTH = 32

PAGES = {
    "/": "attendee.html",
    "/presenter": "presenter.html",
    "/screen": "screen.html",
    "/admin": "admin.html",
}


def error_response(exc: PlenaryError) -> web.Response:
    headers = {}
    retry_ms = exc.details.get("retry_after_ms")
    if isinstance(retry_ms, int):
        headers["Retry-After"] = str(-(-retry_ms // 1000))  # whole seconds, rounded up
    return web.json_response(
        {"error": exc.to_payload()}, status=HTTP_STATUS.get(exc.code, 500), headers=headers
    )


Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def answering_errors(handler: Handler, max_body_bytes: int | None = None) -> Handler:
    """``handler``, with the :class:`PlenaryError` it raises answered as JSON. Wrapped
    route by route rather than as an application middleware, which would also run for
    every Socket.IO request (each new websocket connection, each long-poll). A body
    declared larger than ``max_body_bytes`` (default ``max_rest_body_bytes``) is
    refused before anything reads it."""

    @functools.wraps(handler)
    async def answer(request: web.Request) -> web.StreamResponse:
        try:
            limit = max_body_bytes or request.app[SETTINGS].limits.max_rest_body_bytes
            if (request.content_length or 0) > limit:
                raise too_large(limit)
            return await handler(request)
        except PlenaryError as exc:
            metrics = request.app[SERVICES].metrics
            metrics.add(metrics.http_errors, 1, str(exc.code))  # a flood: once per round
            return error_response(exc)

    return answer


def too_large(limit: int) -> PlenaryError:
    return bad_request(f"The body is larger than {limit} bytes; send a smaller one.")


async def read_json(request: web.Request, example: str) -> Any:
    """The request body as JSON: at most ``max_rest_body_bytes`` (read no further, even
    without a Content-Length) and nested at most :data:`MAX_JSON_DEPTH` deep, else
    ``bad_request``. ``example`` shows a valid body in the error message."""
    body = await read_body(request, request.app[SETTINGS].limits.max_rest_body_bytes)
    deeper = f"The body nests deeper than {MAX_JSON_DEPTH} levels; send JSON such as {example}."
    try:
        # orjson, not json: the standard library recurses per level and a deeply nested
        # body raised RecursionError; orjson refuses past 1,024 levels.
        value = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        if "depth" in str(exc):
            raise bad_request(deeper) from None
        raise bad_request(f"The body must be JSON such as {example}.") from None
    if too_deep(value, MAX_JSON_DEPTH):
        raise bad_request(deeper)
    return value


async def read_body(request: web.Request, limit: int) -> bytes:
    """The request body, at most ``limit`` bytes (read no further, even without a
    Content-Length), else ``bad_request``."""
    body = bytearray()
    while len(body) <= limit:
        chunk = await request.content.read(limit + 1 - len(body))
        if not chunk:
            break
        body += chunk
    if len(body) > limit:
        raise too_large(limit)
    return bytes(body)


def too_deep(value: Any, limit: int) -> bool:
    """Whether ``value`` nests lists and dicts more than ``limit`` deep (no recursion)."""
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            item = list(item.values())
        elif not isinstance(item, list):
            continue
        if depth > limit:
            return True
        stack.extend((child, depth + 1) for child in item)
    return False


def bearer(request: web.Request) -> str:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token:
        raise PlenaryError(ErrorCode.UNAUTHORIZED, "Send 'Authorization: Bearer <token>'.")
    return token.strip()


def require_admin(request: web.Request) -> None:
    settings = request.app[SETTINGS]
    token = bearer(request)
    if not settings.admin_token or not ids.same_secret(token, settings.admin_token):
        raise PlenaryError(ErrorCode.BAD_KEY, "The admin token is wrong.")


async def organiser_event(request: web.Request) -> EventRecord:
    """The event of the URL, if the bearer is the admin token or its event-wide key."""
    services = request.app[SERVICES]
    await services.gateway.admission.admit_lookup(request)  # it tells unknown codes apart
    event = await services.events.event_or_error(request.match_info["code"])
    token = bearer(request)
    admin = request.app[SETTINGS].admin_token
    if (admin and ids.same_secret(token, admin)) or ids.secret_matches(
        token, event.presenter_key_digest
    ):
        return event
    raise PlenaryError(
        ErrorCode.BAD_KEY, "Send the admin token or the event's presenter key as the bearer."
    )


async def create_event(request: web.Request) -> web.Response:
    settings = request.app[SETTINGS]
    require_admin(request)
    body = await read_json(request, '{"title": "My event"}')
    if not isinstance(body, dict):
        raise bad_request('The body must be a JSON object such as {"title": "My event"}.')
    event, key = await request.app[SERVICES].events.create_event(
        body.get("title"), body.get("join")
    )
    base = settings.base_url
    return web.json_response(
        {
            "code": event.code,
            "title": event.title,
            "presenter_key": key,
            "urls": page_urls(base, event.code, key),
        },
        status=201,
    )


def page_urls(base: str, code: str, key: str) -> dict[str, str]:
    """Links to the three pages; the key travels in the fragment, never to server logs."""
    return {
        "attendee": f"{base}/?event={code}",
        "presenter": f"{base}/presenter#event={code}&key={key}",
        "screen": f"{base}/screen?event={code}",
    }


async def end_event(request: web.Request) -> web.Response:
    require_admin(request)
    services = request.app[SERVICES]
    event = await services.events.event_or_error(request.match_info["code"])
    return web.json_response(await services.retention.end(event.code))


async def purge_event(request: web.Request) -> web.Response:
    require_admin(request)
    services = request.app[SERVICES]
    event = await services.events.event_or_error(request.match_info["code"])
    return web.json_response(await services.retention.purge(event.code))


async def admin_overview(request: web.Request) -> web.Response:
    require_admin(request)
    return web.json_response(await request.app[SERVICES].overview())


async def get_event(request: web.Request) -> web.Response:
    services = request.app[SERVICES]
    # Per IP: an open door to "does this code exist?" would let a script walk the codes.
    await services.gateway.admission.admit_lookup(request)
    event = await services.events.event_or_error(request.match_info["code"])
    return web.json_response({"code": event.code, "title": event.title})


async def get_join_form(request: web.Request) -> web.Response:
    """What the event asks of people who join (the attendee page reads it first)."""
    services = request.app[SERVICES]
    await services.gateway.admission.admit_lookup(request)
    event = await services.events.event_or_error(request.match_info["code"])
    join = JoinForm.from_dict(event.join).to_dict()
    return web.json_response({"code": event.code, "title": event.title, "join": join})


async def update_join_form(request: web.Request) -> web.Response:
    """Change what an event asks of people who join (fields left out stay)."""
    event = await organiser_event(request)
    body = await read_json(request, '{"name": "optional", "country": false}')
    form = await request.app[SERVICES].events.set_join_form(event.code, body)
    return web.json_response({"code": event.code, "title": event.title, "join": form.to_dict()})


async def export_event(request: web.Request) -> web.Response:
    services = request.app[SERVICES]
    await services.gateway.admission.admit_lookup(request)  # it tells unknown codes apart too
    event = await services.events.check_presenter_key(request.match_info["code"], bearer(request))
    fmt = request.query.get("format", "json")
    if fmt not in ("json", "csv"):
        raise bad_request("format must be json or csv.")
    rooms = await services.programme.views(event.code)
    export = await build_export(services.store, services.kinds, event, rooms)
    filename = f"plenary-{event.code}.{fmt}"
    disposition = {"Content-Disposition": f'attachment; filename="{filename}"'}
    if fmt == "csv":
        return web.Response(text=to_csv(export), content_type="text/csv", headers=disposition)
    return web.Response(text=to_json(export), content_type="application/json", headers=disposition)


def kind_endpoint(route: KindRoute) -> Handler:
    """A kind's REST route (``/api/events/{code}/<path>?room=ROOM``): for the
    presenters of the room (default the main room: the event-wide key, or the room's
    own key), under the join-code lookups' limit per IP, the body within the route's
    limit."""

    async def handle(request: web.Request) -> web.Response:
        services = request.app[SERVICES]
        await services.gateway.admission.admit_lookup(request)
        _, where = await services.events.presenter_scope(
            request.match_info["code"], bearer(request), request.query.get("room")
        )
        body = await read_body(request, route.max_body_bytes)
        query = {k: v for k, v in request.query.items() if k != "room"}
        status, data = await route.handle(KindRequest(where, body, request.content_type, query))
        return web.json_response(data, status=status)

    return answering_errors(handle, route.max_body_bytes)


LOOPBACK = ("127.0.0.1", "::1")


async def metrics(request: web.Request) -> web.Response:
    """Prometheus metrics: with a metrics token configured, for its bearer; without one,
    only for requests from this machine (so a scraper on the host, not the world)."""
    settings = request.app[SETTINGS]
    if settings.metrics_token:
        if not ids.same_secret(bearer(request), settings.metrics_token):
            raise PlenaryError(ErrorCode.BAD_KEY, "The metrics token is wrong.")
    elif request.remote not in LOOPBACK:
        raise PlenaryError(
            ErrorCode.FORBIDDEN,
            "Metrics are served to localhost only unless --metrics-token is set.",
        )
    body = request.app[SERVICES].metrics.render()
    return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE_LATEST})


async def healthz(request: web.Request) -> web.Response:
    services = request.app[SERVICES]
    ok = await services.store.ping()
    body = {
        "status": "ok" if ok else "unavailable",
        "store": services.store.backend,
        "process": services.process_id,
    }
    return web.json_response(body, status=200 if ok else 503)


def page_handler(path: Path) -> Any:
    async def page(_: web.Request) -> web.FileResponse:
        return web.FileResponse(path, headers={"Cache-Control": "no-cache"})

    return page


def setup_routes(app: web.Application, web_root: Path) -> None:
    api: list[tuple[str, str, Handler]] = [
        ("POST", "/api/events", create_event),
        ("GET", "/api/events/{code}", get_event),
        ("GET", "/api/events/{code}/join", get_join_form),
        ("PATCH", "/api/events/{code}/join", update_join_form),
        ("POST", "/api/events/{code}/end", end_event),
        ("DELETE", "/api/events/{code}", purge_event),
        ("GET", "/api/admin/overview", admin_overview),
        ("GET", "/api/events/{code}/export", export_event),
        ("GET", "/healthz", healthz),
        ("GET", "/metrics", metrics),
    ]
    for method, path, handler in api:
        if method == "GET":  # and HEAD, as add_get does
            app.router.add_get(path, answering_errors(handler))
        else:
            app.router.add_route(method, path, answering_errors(handler))
    # The activity kinds' own endpoints, under the event's path.
    for kind_route in app[SERVICES].kinds.http_routes():
        app.router.add_route(
            kind_route.method, f"/api/events/{{code}}/{kind_route.path}", kind_endpoint(kind_route)
        )
    for route, filename in PAGES.items():
        app.router.add_get(route, page_handler(web_root / filename))
    app.router.add_static("/static/", web_root, show_index=False)
