"""The live Q&A streams of a room, each bounded however many people ask and vote:

* ``qa:votes``: every question's votes and their ``version``, coalesced across
  processes by :class:`plenary.coalescer.ResultsCoalescer` on the room record (one
  broadcast per window per room at most, the last one exact);
* ``qa:questions``: the questions that changed (asked, moderated, edited, replied),
  coalesced per process: the changes a process made go out together, the first at once
  and then at most one message per window and audience. Each question carries its
  ``rev`` so that a client keeps the newest copy whatever order messages from
  different processes arrive in. Presenters and screens get every change; attendees
  the public questions and the ids of those no longer public (``removed``); each
  author their own questions, whatever their status (``qa:mine``, a personal
  message). Nothing in any of them names the author of an anonymous question.
"""

from __future__ import annotations

import asyncio
import logging

from plenary.activities.qa.domain import ROOM_RECORD_ID, Question, view
from plenary.activities.qa.records import QARecords
from plenary.coalescer import ResultsCoalescer
from plenary.errors import StoreUnavailable
from plenary.realtime.broadcast import Broadcaster
from plenary.tasks import TaskOwner

log = logging.getLogger(__name__)


class QAFeed:
    """Sends a room's question changes and vote counts, coalesced."""

    def __init__(self, records: QARecords, broadcaster: Broadcaster, window_ms: int) -> None:
        self._records = records
        self._out = broadcaster
        self._window_s = window_ms / 1000
        self.votes = ResultsCoalescer(records.store, window_ms, self.publish_votes)
        self._pending: dict[str, dict[str, Question]] = {}
        self._tasks = TaskOwner("qa-feed")
        self._running: set[str] = set()

    async def stop(self) -> None:
        await self.votes.stop()
        await self._tasks.stop()

    def vote(self, code: str, version: int) -> None:
        """An upvote produced ``version`` of the room's votes."""
        self.votes.note(code, ROOM_RECORD_ID, version)

    async def publish_votes(self, code: str, _record: str) -> None:
        tally = await self._records.votes(code)
        await self._out.to_everyone(
            code, "qa:votes", {"votes": tally.counts, "version": tally.version}
        )

    def changed(self, code: str, question: Question) -> None:
        """``question`` changed here: make sure a ``qa:questions`` with it goes out."""
        pending = self._pending.setdefault(code, {})
        known = pending.get(question.id)
        if known is None or known.rev <= question.rev:
            pending[question.id] = question
        if code not in self._running:
            self._running.add(code)
            self._tasks.spawn(self._run(code), name=f"qa-feed:{code}")

    async def _run(self, code: str) -> None:
        try:
            while self._pending.get(code):
                batch = self._pending.pop(code)
                try:
                    await self._send(code, list(batch.values()))
                except asyncio.CancelledError:
                    raise
                except StoreUnavailable:
                    self._requeue(code, batch)  # Redis restarting: try again next window
                except Exception:
                    log.exception("Q&A update for %s failed", code)
                await asyncio.sleep(self._window_s)
        finally:
            self._running.discard(code)

    def _requeue(self, code: str, batch: dict[str, Question]) -> None:
        pending = self._pending.setdefault(code, {})
        for qid, question in batch.items():
            if qid not in pending or pending[qid].rev < question.rev:
                pending[qid] = question

    async def _send(self, code: str, questions: list[Question]) -> None:
        counts = (await self._records.votes(code)).counts
        staff = [view(q, counts.get(q.id, 0), None) for q in questions]
        await self._out.to_staff(code, "qa:questions", {"questions": staff})
        public = [v for q, v in zip(questions, staff, strict=True) if q.public]
        # A question that was never public (rev 0: just asked, waiting) is nobody else's
        # business; one that left the public list is named so clients drop it.
        removed = [q.id for q in questions if not q.public and q.rev > 0]
        if public or removed:
            await self._out.to_attendees(
                code, "qa:questions", {"questions": public, "removed": removed}
            )
        mine: dict[str, list[Question]] = {}
        for q in questions:
            mine.setdefault(q.author_id, []).append(q)
        await self._out.to_each(
            code,
            "qa:mine",
            {
                author: {"questions": [view(q, counts.get(q.id, 0), author) for q in own]}
                for author, own in mine.items()
            },
        )
