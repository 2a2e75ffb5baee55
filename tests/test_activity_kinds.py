"""Activity kinds are plug-ins: a small kind written here, in the test suite ("hands
up": attendees raise a hand, the room sees how many), registers with the real server
without a change anywhere else, takes the stage from a poll and hands it back, is closed
when the event ends, and appears in the export and the admin overview."""

from __future__ import annotations

import csv
import io
from typing import Any

import aiohttp
from pydantic import BaseModel, ConfigDict, Field

from plenary import installed
from plenary.clock import now_ms
from plenary.errors import not_found
from plenary.realtime.router import Router
from plenary.realtime.session import Session
from plenary.roles import Role
from plenary.stage.kinds import ExportSection, KindContext, KindPlugin
from plenary.store import Activity, RecordOutcome
from plenary.store.base import CLOSED, DRAFT
from tests.support import clients
from tests.support.server import ADMIN_TOKEN, RunningServer, create_event, end_event, running_server

TYPE = "handsup"
ID = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.:-]+$")


class Create(BaseModel):
    model_config = ConfigDict(strict=True)
    prompt: str = Field(min_length=1, max_length=100)


class Ref(BaseModel):
    model_config = ConfigDict(strict=True)
    hands_id: str = ID


class Raise(BaseModel):
    model_config = ConfigDict(strict=True)
    hands_id: str = ID
    raise_id: str = ID


class HandsUp:
    """The whole kind: messages, views, leaving the stage, export."""

    type = TYPE

    def __init__(self, context: KindContext) -> None:
        self.store = context.store
        self.out = context.broadcaster
        self.stage = context.stage
        self.stopped = False

    @classmethod
    def build(cls, context: KindContext) -> HandsUp:
        return cls(context)

    async def _count(self, code: str, hands_id: str) -> int:
        return (await self.store.get_tally(code, hands_id)).total

    def register(self, router: Router) -> None:
        @router.on("hands:create", roles={Role.PRESENTER}, model=Create)
        async def create(session: Session, p: Create) -> dict[str, Any]:
            hands_id = f"h_{now_ms()}"
            definition = {"type": TYPE, "id": hands_id, "prompt": p.prompt}
            await self.store.add_activity(session.code, hands_id, definition, DRAFT)
            return {"hands": {"id": hands_id, "prompt": p.prompt}}

        @router.on("hands:open", roles={Role.PRESENTER}, model=Ref)
        async def open_(session: Session, p: Ref) -> dict[str, Any]:
            activity = await self.stage.take(session.code, p.hands_id, "open", {})
            await self.out.to_everyone(session.code, "hands:opened", {"id": activity.id})
            return {"status": activity.status}

        @router.on("hands:raise", roles={Role.ATTENDEE}, model=Raise)
        async def raise_(session: Session, p: Raise) -> dict[str, Any]:
            stored = await self.store.record_answer(
                session.code, p.hands_id, session.attendee_id, p.raise_id, ("up",), 1, now_ms()
            )
            if stored.outcome is RecordOutcome.MISSING:
                raise not_found("This hands-up")
            return {"count": await self._count(session.code, p.hands_id)}

    async def view(self, code: str, activity: Activity, session: Session) -> dict[str, Any]:
        count = await self._count(code, activity.id)
        return {"type": TYPE, "hands": {**activity.definition, "count": count}}

    async def overview(self, code: str, session: Session) -> dict[str, Any]:
        return {}

    async def left_stage(self, code: str, before: Activity, after: Activity) -> None:
        count = await self._count(code, after.id)
        await self.out.to_everyone(
            code, "hands:closed", {"id": after.id, "was": before.status, "count": count}
        )

    def summary(self, activity: Activity) -> dict[str, Any]:
        return {"question": activity.definition.get("prompt")}

    async def export(self, code: str) -> ExportSection:
        items, rows = [], []
        for activity in await self.store.list_activities(code):
            if activity.definition.get("type") != TYPE:
                continue
            answers = await self.store.list_answers(code, activity.id)
            items.append({"id": activity.id, "status": activity.status, "raised": len(answers)})
            rows += [(activity.id, attendee, record.ts) for attendee, record in answers.items()]
        return ExportSection("handsup", items, ("hands_id", "attendee_id", "ts"), rows)

    async def demo(self, code: str) -> None:
        pass

    async def stop(self) -> None:
        self.stopped = True


PLUGIN = KindPlugin(TYPE, HandsUp.build)
KINDS = [*installed.plugins(), PLUGIN]


def listen(*people: clients.Client) -> None:
    """Record the kind's own messages too (the clients record those of polls)."""
    for client in people:
        for name in ("hands:opened", "hands:closed"):
            client.received[name] = []
            client.sio.on(name, client._recorder(name))


async def admin_get(server: RunningServer, path: str, token: str = ADMIN_TOKEN) -> Any:
    async with (
        aiohttp.ClientSession() as http,
        http.get(server.url + path, headers={"Authorization": f"Bearer {token}"}) as response,
    ):
        assert response.status == 200, await response.text()
        if response.content_type == "application/json":
            return await response.json()
        return await response.text()


async def test_a_kind_from_outside_takes_and_hands_back_the_stage(redis_url: str | None) -> None:
    async with running_server(redis_url, kinds=KINDS) as server:
        event = await create_event(server.url)
        code, key = event["code"], event["presenter_key"]
        presenter = await clients.presenter(server.url, code, key)
        ada = await clients.attendee(server.url, code, "Ada")
        bob = await clients.attendee(server.url, code, "Bob")
        listen(presenter, ada, bob)

        poll = (await presenter.call("poll:create", {"question": "Q?", "kind": "rating"}))["poll"]
        assert (await presenter.call("poll:open", {"poll_id": poll["id"]}))["ok"]
        assert (await ada.vote(poll["id"], 4))["ok"]

        # The new kind takes the stage: the poll is closed with its final results.
        hands = (await presenter.call("hands:create", {"prompt": "Who is new here?"}))["hands"]
        opened = await presenter.call("hands:open", {"hands_id": hands["id"]})
        assert opened == {"ok": True, "status": "open"}
        closed = await bob.wait_for("poll:closed", lambda m: m["poll_id"] == poll["id"])
        assert closed["poll"]["status"] == "closed"
        staff_view = await presenter.wait_for("poll:closed", lambda m: m["poll_id"] == poll["id"])
        assert staff_view["results"]["total"] == 1
        await ada.wait_for("hands:opened")
        assert (await ada.call("hands:raise", {"hands_id": hands["id"], "raise_id": "r1"}))[
            "count"
        ] == 1
        assert (await bob.call("hands:raise", {"hands_id": hands["id"], "raise_id": "r1"}))[
            "count"
        ] == 2
        state = (await bob.call("state:get"))["state"]
        assert state["activity"] == {"type": TYPE, "hands": {**hands, "type": TYPE, "count": 2}}
        late = await clients.attendee(server.url, code, "Cy")
        assert late.welcome["activity"]["type"] == TYPE
        assert (await ada.vote(poll["id"], 5))["error"]["code"] == "not_open"

        # A poll takes the stage back: the kind is told and closes.
        second = (
            await presenter.call(
                "poll:create", {"question": "Next?", "kind": "single", "options": ["a", "b"]}
            )
        )["poll"]
        assert (await presenter.call("poll:open", {"poll_id": second["id"]}))["ok"]
        hands_closed = await ada.wait_for("hands:closed")
        assert hands_closed["id"] == hands["id"]
        assert (hands_closed["was"], hands_closed["count"]) == ("open", 2)
        assert (await bob.call("state:get"))["state"]["activity"]["poll"]["id"] == second["id"]

        # On stage again, then the event ends: the stage closes it.
        assert (await presenter.call("hands:open", {"hands_id": hands["id"]}))["ok"]
        await ada.wait_for("poll:closed", lambda m: m["poll_id"] == second["id"])
        overview = await admin_get(server, "/api/admin/overview")
        [row] = [e for e in overview["events"] if e["code"] == code]
        assert row["current"] == {
            "id": hands["id"],
            "type": TYPE,
            "question": "Who is new here?",
            "status": "open",
        }
        await end_event(server.url, code)
        await bob.wait_for("hands:closed", lambda m: m["was"] == "open" and m is not hands_closed)
        stored = await server.services.store.get_activity(code, hands["id"])
        assert stored is not None and stored.status == CLOSED

        # The export has a section for the kind, and its rows in the CSV.
        data = await admin_get(server, f"/api/events/{code}/export", key)
        assert data["handsup"] == [{"id": hands["id"], "status": CLOSED, "raised": 2}]
        assert [p["id"] for p in data["polls"]] == [poll["id"], second["id"]]
        text = await admin_get(server, f"/api/events/{code}/export?format=csv", key)
        assert text.startswith("\ufeff")  # the byte-order mark for spreadsheets
        rows = list(csv.DictReader(io.StringIO(text[1:])))
        assert sorted(r["activity_type"] for r in rows) == ["handsup", "handsup", "poll"]
        names = {a["id"]: a["name"] for a in data["attendees"]}
        raised_by = sorted(names[r["attendee_id"]] for r in rows if r["activity_type"] == TYPE)
        assert raised_by == ["Ada", "Bob"]
        assert all(r["hands_id"] == hands["id"] for r in rows if r["activity_type"] == TYPE)
        assert [r["poll_id"] for r in rows if r["activity_type"] == "poll"] == [poll["id"]]

        for client in (presenter, ada, bob, late):
            await client.disconnect()
    assert server.services.kinds[TYPE].stopped  # type: ignore[attr-defined]
