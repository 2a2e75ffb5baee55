"""A table's harvests, live to the people seated there (``cafe:table_harvests``): like a
shared notepad, when a tablemate adds, edits or removes a takeaway, everyone at that
table gets the table's list as it is now.

**Only the table.** Each member gets it as a personal message
(:meth:`~plenary.realtime.broadcast.Broadcaster.to_each`): it goes out from the process
that holds their connection, and nobody at another table receives anything.

**Bounded.** Changes are coalesced per table and process: the first goes out at once,
then at most one message per window (``cafe_harvest_update_ms``) for that table,
whatever a burst of edits there; each message is the whole list read from the store
after the changes it covers, so the last one is exact.

**Ordered across processes.** Two processes may each send a table's list, and a list
read earlier may arrive later. Every message carries ``version``: the café's answer
version of the latest change it covers (the store numbers every change of the café's
records, atomically). A list read after a change of version ``v`` holds every change up
to ``v``, so a client keeps the message with the highest ``version`` (an equal one
replaces) and ends with the exact list."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from plenary.activities.cafe.harvesting import live_harvests
from plenary.activities.cafe.records import CafeRecords
from plenary.activities.cafe.roster import Roster
from plenary.activities.cafe.rounds import RoundState
from plenary.errors import PlenaryError, StoreUnavailable
from plenary.realtime.broadcast import Broadcaster
from plenary.scopes import event_code
from plenary.tasks import TaskOwner

log = logging.getLogger(__name__)

#: (scope code, café id, round, table number)
TableKey = tuple[str, str, int, int]


class TableHarvestFeed:
    """Sends ``cafe:table_harvests`` to a table's members, coalesced per table."""

    def __init__(
        self, records: CafeRecords, roster: Roster, broadcaster: Broadcaster, window_ms: int
    ) -> None:
        self._records = records
        self._roster = roster
        self._out = broadcaster
        self._window_s = window_ms / 1000
        self._wanted: dict[TableKey, int] = {}  # the newest change's version to show
        self._tasks = TaskOwner("cafe-table-feed")
        self._running: set[TableKey] = set()

    async def stop(self) -> None:
        await self._tasks.stop()

    def changed(self, code: str, cafe_id: str, number: int, table: int, version: int) -> None:
        """A harvest of ``table`` in round ``number`` changed here (store ``version``)."""
        key = (code, cafe_id, number, table)
        self._wanted[key] = max(version, self._wanted.get(key, 0))
        if key not in self._running:
            self._running.add(key)
            self._tasks.spawn(self._run(key), name=f"cafe-table:{code}:{cafe_id}:{table}")

    async def _run(self, key: TableKey) -> None:
        try:
            while key in self._wanted:
                version = self._wanted.pop(key)
                try:
                    await self._send(key, version)
                except asyncio.CancelledError:
                    raise
                except StoreUnavailable:
                    self._requeue(key, version)  # Redis restarting: again next window
                except PlenaryError:
                    pass  # the café was deleted meanwhile: nobody to tell
                except Exception:
                    log.exception("table harvests of %s/%s failed", key[0], key[1])
                await asyncio.sleep(self._window_s)
        finally:
            self._running.discard(key)

    def _requeue(self, key: TableKey, version: int) -> None:
        self._wanted[key] = max(version, self._wanted.get(key, 0))

    async def _send(self, key: TableKey, version: int) -> None:
        code, cafe_id, number, table = key
        activity, _ = await self._records.load(code, cafe_id)
        state = RoundState.from_meta(activity.meta)
        if state.number != number or not 0 < table <= len(state.tables):
            return  # the next round started: each page starts its new table afresh
        body = await self._table_body(code, cafe_id, number, table)
        members = state.tables[table - 1]
        await self._out.to_each(
            code, "cafe:table_harvests", {m: {**body, "version": version} for m in members}
        )

    async def _table_body(self, code: str, cafe_id: str, number: int, table: int) -> dict[str, Any]:
        """``{"cafe_id", "round", "table", "harvests"}``: the table's live harvests of the
        round, oldest first, as ``cafe:harvests`` lists them."""
        answers = await self._records.store.list_answers(code, cafe_id)
        harvests = [h for h in live_harvests(answers) if (h.round, h.table) == (number, table)]
        names = await self._roster.names(event_code(code), {h.author for h in harvests})
        return {
            "cafe_id": cafe_id,
            "round": number,
            "table": table,
            "harvests": [h.view(names) for h in harvests],
        }
