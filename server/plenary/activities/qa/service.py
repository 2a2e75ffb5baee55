"""Q&A use cases: the glue between the pure rules, the room's records and the feed."""

from __future__ import annotations

import asyncio
from typing import Any

from plenary import ids
from plenary.activities.qa.domain import (
    ROOM_RECORD_ID,
    Action,
    Question,
    Settings,
    Status,
    check_highlightable,
    check_votable,
    clean_question_text,
    listing,
    moderate,
    new_question,
    question_id,
    view,
    visible_to,
)
from plenary.activities.qa.feed import QAFeed
from plenary.activities.qa.limits import QALimits
from plenary.activities.qa.records import QARecords, voter_key
from plenary.clock import now_ms
from plenary.errors import ErrorCode, PlenaryError, StoreUnavailable, bad_request, not_found
from plenary.realtime.broadcast import Broadcaster
from plenary.store import AttendeeRecord, RecordOutcome, Store


class QAService:
    """Ask, upvote, moderate, highlight, reply, edit; the room's Q&A state per viewer."""

    def __init__(self, store: Store, broadcaster: Broadcaster, limits: QALimits) -> None:
        self._store = store
        self._out = broadcaster
        self._limits = limits
        self.records = QARecords(store)
        self.feed = QAFeed(self.records, broadcaster, limits.qa_update_interval_ms)

    async def stop(self) -> None:
        await self.feed.stop()

    # -- attendees ------------------------------------------------------------
    async def ask(
        self, code: str, author: AttendeeRecord, text: str, anonymous: bool, ask_id: str
    ) -> dict[str, Any]:
        qid = question_id(author.id, ask_id)
        earlier = await self._store.get_activity(code, qid)
        if earlier is not None:
            return await self._duplicate(code, qid, author.id)
        # A question that would be refused anyway costs none of the attendee's quota.
        clean_question_text(text, self._limits.qa_max_question_len)
        per_minute = self._limits.qa_questions_per_minute
        bucket = f"qa:{code}:{author.id}"
        wait_ms = await self._store.take_token(bucket, per_minute / 60, per_minute)
        if wait_ms:
            raise PlenaryError(
                ErrorCode.RATE_LIMITED,
                f"You can ask {per_minute} questions a minute; wait a moment.",
                retry_after_ms=wait_ms,
            )
        await self.records.ensure(code)
        (settings, _), questions = await asyncio.gather(
            self.records.settings(code), self.records.questions(code)
        )
        if len(questions) >= self._limits.qa_max_questions_per_room:
            raise bad_request("This room has as many questions as it can take.")
        question = new_question(
            qid,
            text,
            author.id,
            author.name,
            anonymous,
            settings,
            self._limits.qa_max_question_len,
            now_ms(),
        )
        if not await self.records.add(code, question):
            return await self._duplicate(code, qid, author.id)
        self.feed.changed(code, question)
        return {"question": view(question, 0, author.id)}

    async def _duplicate(self, code: str, qid: str, author_id: str) -> dict[str, Any]:
        question = await self.records.question(code, qid)
        if question.author_id != author_id:
            raise bad_request("ask_id is taken.")  # cannot happen: ids are per author
        votes = (await self.records.votes(code)).counts.get(qid, 0)
        return {"question": view(question, votes, author_id), "duplicate": True}

    async def upvote(self, code: str, voter: str, qid: str, up: bool) -> dict[str, Any]:
        question = await self.records.question(code, qid)
        if not visible_to(question, voter):
            raise not_found(f"Question {qid!r}")
        check_votable(question)
        await self.records.ensure(code)
        key = voter_key(voter, qid)
        mine = await self._store.get_answer(code, ROOM_RECORD_ID, key)
        if bool(mine and mine.keys) != up:
            # Replacing the voter's answer moves the count atomically: an upvote twice,
            # or a withdrawal of nothing, never counts twice, on any process.
            stored = await self._store.record_answer(
                code, ROOM_RECORD_ID, key, ids.new_id("v"), (qid,) if up else (), up, now_ms()
            )
            if stored.outcome is not RecordOutcome.STORED:
                raise StoreUnavailable("the room's Q&A record is missing")
            self.feed.vote(code, stored.version)
        votes = (await self.records.votes(code)).counts.get(qid, 0)
        return {"question_id": qid, "up": up, "votes": votes}

    # -- presenters -----------------------------------------------------------
    async def moderate(self, code: str, qid: str, action: Action) -> dict[str, Any]:
        question = await self.records.question(code, qid)
        status, meta = moderate(question, action, now_ms())
        if status is not question.status or meta:
            question = await self.records.update(code, qid, str(status), meta)
            self.feed.changed(code, question)
        _, highlighted = await self.records.settings(code)
        if highlighted == qid and question.status is not Status.APPROVED:
            await self.highlight(code, None)  # answered or put away: off the big screen
        return {"question": await self._staff_view(code, question)}

    async def highlight(self, code: str, qid: str | None) -> dict[str, Any]:
        shown: dict[str, Any] | None = None
        if qid is not None:
            question = await self.records.question(code, qid)
            check_highlightable(question)
            question = await self.records.update(code, qid, None, {"highlighted_at": now_ms()})
            self.feed.changed(code, question)
            shown = await self._staff_view(code, question)
        await self.records.set_room(code, {"highlighted": qid})
        await self._out.to_everyone(code, "qa:highlight", {"question": shown})
        return {"question": shown}

    async def reply(self, code: str, qid: str, text: str) -> dict[str, Any]:
        await self.records.question(code, qid)
        reply = None
        if text.strip():
            reply = clean_question_text(text, self._limits.qa_max_reply_len, "reply")
        meta = {"reply": reply, "replied_at": now_ms() if reply else None}
        question = await self.records.update(code, qid, None, meta)
        self.feed.changed(code, question)
        return {"question": await self._staff_view(code, question)}

    async def edit(self, code: str, qid: str, text: str) -> dict[str, Any]:
        await self.records.question(code, qid)
        cleaned = clean_question_text(text, self._limits.qa_max_question_len)
        question = await self.records.update(code, qid, None, {"text": cleaned, "edited": True})
        self.feed.changed(code, question)
        return {"question": await self._staff_view(code, question)}

    async def configure(
        self, code: str, anonymous: bool | None, moderation: bool | None
    ) -> dict[str, Any]:
        changes = {
            name: value
            for name, value in (("anonymous", anonymous), ("moderation", moderation))
            if value is not None
        }
        room = await self.records.set_room(code, changes)
        settings = Settings.from_meta(room.meta).to_dict()
        await self._out.to_everyone(code, "qa:settings", {"settings": settings})
        return {"settings": settings}

    async def _staff_view(self, code: str, question: Question) -> dict[str, Any]:
        votes = (await self.records.votes(code)).counts.get(question.id, 0)
        return view(question, votes, None)

    async def _mark_votes(self, code: str, viewer: str, views: list[dict[str, Any]]) -> None:
        """``voted`` on each question an attendee sees: whether their upvote is on it
        (all read at once: one round trip in scaled mode)."""
        answers = await asyncio.gather(
            *(
                self._store.get_answer(code, ROOM_RECORD_ID, voter_key(viewer, v["id"]))
                for v in views
            )
        )
        for shown, answer in zip(views, answers, strict=True):
            shown["voted"] = bool(answer and answer.keys)

    # -- state ----------------------------------------------------------------
    async def state(self, code: str, viewer: str | None) -> dict[str, Any]:
        """The room's Q&A for a welcome: the questions this viewer sees (attendees:
        public ones and their own; presenters and screens: all), in order, with the
        votes' ``version``, the highlighted question and the settings."""
        tally, questions, (settings, highlighted) = await asyncio.gather(
            self.records.votes(code), self.records.questions(code), self.records.settings(code)
        )
        shown = questions.get(highlighted) if highlighted else None
        views = listing(questions.values(), tally.counts, viewer)
        if viewer is not None:
            await self._mark_votes(code, viewer, views)
        return {
            "questions": views,
            "version": tally.version,
            "highlighted": view(shown, tally.counts.get(shown.id, 0), None) if shown else None,
            "settings": settings.to_dict(),
        }
