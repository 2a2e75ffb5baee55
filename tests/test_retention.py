"""Ending and purging events: the export is on disk before the live state goes."""

from __future__ import annotations

import asyncio
import csv
import json
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import redis.asyncio as aioredis

from plenary.clock import now_ms
from tests.support import clients
from tests.support.server import ADMIN_TOKEN, create_event, running_server
from tests.test_connect import refusal


async def admin(method: str, url: str, token: str | None = ADMIN_TOKEN) -> tuple[int, Any]:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    async with aiohttp.ClientSession() as http, http.request(method, url, headers=headers) as r:
        return r.status, await r.json()


async def test_end_exports_then_expires(redis_url: str | None, tmp_path: Path) -> None:
    async with running_server(redis_url, export_dir=str(tmp_path), retention_s=1) as server:
        event = await create_event(server.url)
        code = event["code"]
        presenter = await clients.presenter(server.url, code, event["presenter_key"])
        ada = await clients.attendee(server.url, code, "Ada")
        bob = await clients.attendee(server.url, code, "Bob")
        created = await presenter.call(
            "poll:create", {"question": "Last one", "kind": "single", "options": ["x", "y"]}
        )
        poll_id = created["poll"]["id"]
        await presenter.call("poll:open", {"poll_id": poll_id})
        assert (await ada.vote(poll_id, "a"))["ok"] and (await bob.vote(poll_id, "b"))["ok"]

        assert (await admin("POST", f"{server.url}/api/events/{code}/end", None))[0] == 401
        assert (await admin("POST", f"{server.url}/api/events/{code}/end", "nope"))[0] == 403
        status, body = await admin("POST", f"{server.url}/api/events/{code}/end")
        assert status == 200 and body["expires_in_s"] == 1 and body["ended_at"] > 0
        # The open poll was closed with its final tally, and everyone was told.
        closed = await ada.wait_for("poll:closed")
        assert closed["poll_id"] == poll_id
        await ada.wait_for("event:ended")
        await presenter.wait_for("event:ended")
        # The export is on disk, complete.
        data = json.loads((tmp_path / f"plenary-{code}.json").read_text())
        assert data["polls"][0]["results"]["counts"] == {"a": 1, "b": 1}
        assert data["polls"][0]["status"] == "closed"
        rows = list(csv.DictReader((tmp_path / f"plenary-{code}.csv").open()))
        assert sorted((r["attendee_name"], r["answer"]) for r in rows) == [
            ("Ada", "x"),
            ("Bob", "y"),
        ]
        assert body["exports"] == [
            str(tmp_path / f"plenary-{code}.json"),
            str(tmp_path / f"plenary-{code}.csv"),
        ]
        # Nobody joins an ended event; ending twice keeps the first end time.
        data_refused = await refusal(server.url, {"event": code, "role": "attendee", "name": "Cy"})
        assert data_refused["data"]["code"] == "event_ended"
        status, again = await admin("POST", f"{server.url}/api/events/{code}/end")
        assert status == 200 and again["ended_at"] == body["ended_at"]
        if redis_url:
            raw = aioredis.Redis.from_url(redis_url)
            assert 0 < await raw.ttl(f"pl:{{{code}}}:event") <= 1
            await raw.aclose()
        # After the retention the live state is gone; the files stay.
        await asyncio.sleep(1.2)
        await server.services.store.sweep(now_ms())
        assert await server.services.store.get_event(code) is None
        assert (tmp_path / f"plenary-{code}.json").exists()
        for c in (presenter, ada, bob):
            await c.disconnect()


async def test_purge_now(redis_url: str | None, tmp_path: Path) -> None:
    async with running_server(redis_url, export_dir=str(tmp_path)) as server:
        event = await create_event(server.url)
        code = event["code"]
        status, body = await admin("DELETE", f"{server.url}/api/events/{code}")
        assert status == 200 and body["purged"] is True
        assert (tmp_path / f"plenary-{code}.json").exists()
        assert await server.services.store.get_event(code) is None
        assert (await admin("DELETE", f"{server.url}/api/events/{code}"))[0] == 404
        if redis_url:
            raw = aioredis.Redis.from_url(redis_url)
            assert [k async for k in raw.scan_iter(match=f"pl:{{{code}}}:*")] == []
            await raw.aclose()


async def test_admin_overview(redis_url: str | None) -> None:
    async with running_server(redis_url) as server:
        event = await create_event(server.url, "Overview")
        code = event["code"]
        presenter = await clients.presenter(server.url, code, event["presenter_key"])
        ada = await clients.attendee(server.url, code, "Ada")
        created = await presenter.call("poll:create", {"question": "Now?", "kind": "rating"})
        await presenter.call("poll:open", {"poll_id": created["poll"]["id"]})
        await presenter.wait_for("presence", lambda m: m["online"] == 1)
        status, body = await admin("GET", f"{server.url}/api/admin/overview")
        assert status == 200
        assert body["store"] == {"backend": "redis" if redis_url else "memory", "ok": True}
        (listed,) = body["events"]
        assert (listed["code"], listed["title"], listed["joined"], listed["online"]) == (
            code,
            "Overview",
            1,
            1,
        )
        assert listed["current"] == {
            "id": created["poll"]["id"],
            "type": "poll",
            "question": "Now?",
            "status": "open",
        }
        me = [p for p in body["processes"] if p["id"] == server.services.process_id]
        assert me and me[0]["alive"] and me[0]["attendees_online"] == 1
        assert (await admin("GET", f"{server.url}/api/admin/overview", "bad"))[0] == 403
        for c in (presenter, ada):
            await c.disconnect()


@pytest.mark.parametrize("path", ["/api/events/NOPE22/end"])
async def test_unknown_event(path: str) -> None:
    async with running_server() as server:
        assert (await admin("POST", server.url + path))[0] == 404
