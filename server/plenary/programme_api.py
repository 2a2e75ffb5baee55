"""The programme over REST: list rooms (public, like the join-code lookup), and for the
organiser (admin token or the event-wide presenter key) add, change, reorder and close
rooms. Also the QR code of a room's attendee link, for big screens and slides."""

from __future__ import annotations

from aiohttp import web

from plenary import ids
from plenary.errors import ErrorCode, PlenaryError
from plenary.export import build_export, to_csv, to_json
from plenary.http_api import answering_errors, bearer, organiser_event, read_json
from plenary.rooms.programme import room_view
from plenary.rooms.qr import qr_svg
from plenary.scopes import MAIN_ROOM, ROOM_ID
from plenary.services import SERVICES, SETTINGS, Services
from plenary.store import EventRecord

EXAMPLE = '{"title": "Breakout 1: Green transition"}'


def attendee_link(base: str, code: str, room: str) -> str:
    """Where an attendee joins, straight into ``room``."""
    link = f"{base}/?event={code}"
    return link if room == MAIN_ROOM else f"{link}&room={room}"


def room_urls(base: str, code: str, room: str, key: str | None) -> dict[str, str]:
    suffix = "" if room == MAIN_ROOM else f"&room={room}"
    urls = {
        "attendee": attendee_link(base, code, room),
        "screen": f"{base}/screen?event={code}{suffix}",
        "qr": f"{base}/api/events/{code}/rooms/{room}/qr.svg",
    }
    if key is not None:  # in the fragment: never sent to the server's logs
        urls["presenter"] = f"{base}/presenter#event={code}&key={key}{suffix}"
    return urls


async def list_rooms(request: web.Request) -> web.Response:
    services = request.app[SERVICES]
    await services.gateway.admission.admit_lookup(request)
    event = await services.events.event_or_error(request.match_info["code"])
    return web.json_response({"rooms": await services.programme.views(event.code)})


async def create_room(request: web.Request) -> web.Response:
    event = await organiser_event(request)
    body = await read_json(request, EXAMPLE)
    services = request.app[SERVICES]
    room, key = await services.programme.create(event.code, body)
    urls = room_urls(request.app[SETTINGS].base_url, event.code, room.id, key)
    return web.json_response(
        {"room": room_view(room), "presenter_key": key, "urls": urls}, status=201
    )


async def update_room(request: web.Request) -> web.Response:
    event = await organiser_event(request)
    body = await read_json(request, EXAMPLE)
    room = await request.app[SERVICES].programme.update(
        event.code, request.match_info["room"], body
    )
    return web.json_response({"room": room_view(room)})


async def reorder_rooms(request: web.Request) -> web.Response:
    event = await organiser_event(request)
    body = await read_json(request, '{"order": ["main", "r1a2b3c4d5"]}')
    order = body.get("order") if isinstance(body, dict) else None
    rooms = await request.app[SERVICES].programme.reorder(event.code, order)
    return web.json_response({"rooms": [room_view(r) for r in rooms]})


async def close_room(request: web.Request) -> web.Response:
    event = await organiser_event(request)
    room = await request.app[SERVICES].programme.close(event.code, request.match_info["room"])
    return web.json_response({"room": room_view(room)})


async def room_qr(request: web.Request) -> web.Response:
    """The QR code (SVG) of a room's attendee link; public, like the link itself."""
    services = request.app[SERVICES]
    await services.gateway.admission.admit_lookup(request)
    event = await services.events.event_or_error(request.match_info["code"])
    room = await services.programme.open_room(event.code, request.match_info["room"])
    link = attendee_link(request.app[SETTINGS].base_url, event.code, room.id)
    return web.Response(
        text=qr_svg(link),
        content_type="image/svg+xml",
        headers={"Cache-Control": "no-cache", "X-Attendee-Link": link},
    )


async def export_room(request: web.Request) -> web.Response:
    """One room's export: for the organiser, or the room's own presenter key."""
    services = request.app[SERVICES]
    room_id = request.match_info["room"]
    event = await room_presenter_event(request, services, room_id)
    fmt = request.query.get("format", "json")
    if fmt not in ("json", "csv"):
        raise PlenaryError(ErrorCode.BAD_REQUEST, "format must be json or csv.")
    rooms = await services.programme.views(event.code)
    if not any(r["id"] == room_id for r in rooms):
        raise PlenaryError(ErrorCode.NOT_FOUND, f"Room {room_id[:40]!r} does not exist.")
    export = await build_export(services.store, services.kinds, event, rooms, only=room_id)
    filename = f"plenary-{event.code}-{room_id}.{fmt}"
    disposition = {"Content-Disposition": f'attachment; filename="{filename}"'}
    if fmt == "csv":
        return web.Response(text=to_csv(export), content_type="text/csv", headers=disposition)
    return web.Response(text=to_json(export), content_type="application/json", headers=disposition)


async def room_presenter_event(
    request: web.Request, services: Services, room_id: str
) -> EventRecord:
    if not ROOM_ID.match(room_id):
        raise PlenaryError(ErrorCode.BAD_REQUEST, "The room id is malformed.")
    try:
        return await organiser_event(request)
    except PlenaryError as exc:
        if exc.code is not ErrorCode.BAD_KEY:
            raise
    event = await services.events.event_or_error(request.match_info["code"])
    room = await services.store.get_room(event.code, room_id)
    digest = room.presenter_key_digest if room is not None else ""
    if digest and ids.secret_matches(bearer(request), digest):
        return event
    raise PlenaryError(ErrorCode.BAD_KEY, "The presenter key is wrong for this room.")


def setup(app: web.Application) -> None:
    routes = [
        ("GET", "/api/events/{code}/rooms", list_rooms),
        ("POST", "/api/events/{code}/rooms", create_room),
        ("PUT", "/api/events/{code}/rooms/order", reorder_rooms),
        ("PATCH", "/api/events/{code}/rooms/{room}", update_room),
        ("DELETE", "/api/events/{code}/rooms/{room}", close_room),
        ("GET", "/api/events/{code}/rooms/{room}/qr.svg", room_qr),
        ("GET", "/api/events/{code}/rooms/{room}/export", export_room),
    ]
    for method, path, handler in routes:
        if method == "GET":
            app.router.add_get(path, answering_errors(handler))
        else:
            app.router.add_route(method, path, answering_errors(handler))
