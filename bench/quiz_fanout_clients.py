"""The quiz benchmark's client processes (``bench.quiz_fanout``): the fan-out benchmark's
harness (``bench.fanout_clients``: one ``asyncio.Protocol`` per attendee, the websocket
framing written out, a received message costs a few byte comparisons and two
``array.append``), with what a quiz needs on top:

- ``answer_all``: every attendee answers the open question at once (``quiz:answer``,
  each with its own ``answer_id``), the acks timed like the poll's votes;
- every ``quiz:result`` frame and every answer's ack frame is kept as received (a
  reference to the bytes, no parsing while measuring), so that the bench can check
  afterwards that each player got exactly one result per question, with the points and
  the rank the documented rules give for the time the server measured.
"""

from __future__ import annotations

from typing import Any

from bench.fanout_clients import Person, Worker, now_ms, serve, sleep_until

RESULT = b'42["quiz:result"'
ACK = b"43"
ANSWER_ACK = b'"elapsed_ms"'


def choice_of(index: int) -> bool:
    """What attendee ``index`` answers to the true/false question: true, false in turn."""
    return index % 2 == 0


class QuizAttendee(Person):
    """A person that keeps its results' and answers' frames."""

    def __init__(self, worker: Worker, index: int, url: str, auth: dict[str, Any]) -> None:
        super().__init__(worker, index, url, auth)
        self.results: list[bytes] = []
        self.result_times: list[float] = []  # receipt time of each, epoch ms
        self.answer_acks: list[bytes] = []

    def on_text(self, p: bytes) -> float | None:
        received = super().on_text(p)
        if p.startswith(RESULT):
            self.results.append(p)
            self.result_times.append(received or now_ms())
        elif p.startswith(ACK) and ANSWER_ACK in p:
            self.answer_acks.append(p)
        return received


class QuizWorker(Worker):
    """The attendees of one client process."""

    person_class = QuizAttendee

    async def answer_all(
        self, quiz_id: str, question_id: str, tag: int, start_at: float, timeout: float
    ) -> dict[str, Any]:
        """Everyone answers at once, then wait for every ack (bounded)."""
        await sleep_until(start_at)
        live = self.live()
        for a in live:
            a.emit(
                "quiz:answer",
                {
                    "quiz_id": quiz_id,
                    "question_id": question_id,
                    "choice": choice_of(a.index),
                    "answer_id": f"a{a.index}-{quiz_id}-{question_id}",
                },
                tag,
            )
        await self.wait_acks(tag, len(live), timeout)
        return self.tag_summary(tag, len(live))

    async def vote_burst(
        self, poll_id: str, tag: int, start_at: float, timeout: float
    ) -> dict[str, Any]:
        """Everyone votes at once (the fan-out benchmark's vote), then wait for the acks."""
        await sleep_until(start_at)
        live = self.live()
        for a in live:
            self.vote(a, poll_id, tag)
        await self.wait_acks(tag, len(live), timeout)
        return self.tag_summary(tag, len(live))

    def tag_summary(self, tag: int, sent: int) -> dict[str, Any]:
        return {
            "sent": sent,
            "acked": len(self.ack_ms.get(tag, ())),
            "errors": self.ack_errors.get(tag, 0),
        }

    def kept(self) -> dict[str, dict[str, list[Any]]]:
        """Every quiz:result and answer ack frame each attendee received, as text."""
        return {
            str(a.index): {
                "results": [p.decode() for p in getattr(a, "results", [])],
                "result_times": list(getattr(a, "result_times", [])),
                "acks": [p.decode() for p in getattr(a, "answer_acks", [])],
            }
            for a in self.attendees
            if a.welcomed.done()
        }


COMMANDS = (
    "connect_people",
    "answer_all",
    "vote_burst",
    "wait_for",
    "collect",
    "clear",
    "kept",
)


def worker_main(pipe: Any, config: dict[str, Any]) -> None:
    """Entry point of a client process: obey ``(command, kwargs)`` until ``stop``."""
    serve(pipe, lambda: QuizWorker(config), COMMANDS)
