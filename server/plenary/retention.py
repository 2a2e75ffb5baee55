"""The end of an event: close what is open, write the export to disk, then let the live
state expire after the retention period (or purge it at once). The export is on disk
before anything is removed, so no result is lost when Redis forgets the event."""

from __future__ import annotations

import asyncio
import logging
import os
import tempfile
from pathlib import Path
from typing import Any

from plenary.clock import now_ms
from plenary.errors import ErrorCode, PlenaryError
from plenary.export import EventExport, build_export, to_csv, to_json
from plenary.realtime.broadcast import Broadcaster
from plenary.rooms.programme import Programme, room_view
from plenary.scopes import scope
from plenary.stage.kinds import Kinds
from plenary.stage.stage import Stage
from plenary.store import EventRecord, Store

log = logging.getLogger(__name__)


class ExportArchive:
    """Writes event exports (JSON and CSV) into a directory, atomically and durably. The
    CSV is ``to_csv``'s, with every text cell neutralised against spreadsheet formulas."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def paths(self, code: str) -> list[Path]:
        return [self.directory / f"plenary-{code}.json", self.directory / f"plenary-{code}.csv"]

    async def write(self, code: str, export: EventExport) -> list[Path]:
        json_path, csv_path = self.paths(code)
        await asyncio.to_thread(self._write_file, json_path, to_json(export))
        await asyncio.to_thread(self._write_file, csv_path, to_csv(export))
        return [json_path, csv_path]

    def _write_file(self, path: Path, text: str) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        # Write, fsync, then rename: a crash leaves the old file or the new one, never half.
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".tmp")
        try:
            # newline="": the CSV's own \r\n line ends are written as they are.
            with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
                handle.write(text)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise


class EventRetention:
    """Ends and purges events."""

    def __init__(
        self,
        store: Store,
        programme: Programme,
        stage: Stage,
        kinds: Kinds,
        broadcaster: Broadcaster,
        archive: ExportArchive,
        retention_s: int,
    ) -> None:
        self._store = store
        self._programme = programme
        self._stage = stage
        self._kinds = kinds
        self._out = broadcaster
        self.archive = archive
        self.retention_s = retention_s

    async def _event(self, code: str) -> EventRecord:
        event = await self._store.get_event(code)
        if event is None:
            raise PlenaryError(ErrorCode.UNKNOWN_EVENT, "No event has this join code.")
        return event

    async def end(self, code: str) -> dict[str, Any]:
        """End the event: close what is on stage, refuse new connections, export to
        disk, and let its live state expire after the retention period."""
        await self._event(code)
        rooms = await self._programme.rooms(code)
        for room in rooms:
            await self._stage.clear(scope(code, room.id))
        ended = await self._store.end_event(code, now_ms())
        assert ended is not None
        views = [room_view(r) for r in rooms]
        export = await build_export(self._store, self._kinds, ended, views)
        paths = await self.archive.write(code, export)
        # Only once the export is durable on disk may the live state start to expire.
        await self._store.expire_event(code, self.retention_s)
        for where in await self._programme.scopes(code):
            await self._out.to_everyone(where, "event:ended", {"ended_at": ended.ended_at})
        log.info(
            "event ended; export written, live state expires in %ss",
            self.retention_s,
            extra={"event": code},
        )
        return {
            "code": code,
            "ended_at": ended.ended_at,
            "exports": [str(p) for p in paths],
            "expires_in_s": self.retention_s,
        }

    async def purge(self, code: str) -> dict[str, Any]:
        """Remove the event's live state now (ending it first, so it is exported)."""
        event = await self._event(code)
        if event.ended_at is None or not all(p.exists() for p in self.archive.paths(code)):
            await self.end(code)
        await self._store.purge_event(code)
        log.info("event purged", extra={"event": code})
        return {"code": code, "purged": True, "exports": [str(p) for p in self.archive.paths(code)]}
