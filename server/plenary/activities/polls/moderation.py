"""Moderation of free-text answers (word clouds and open text) as pure rules: which
entries a big screen and attendees may see, what a presenter's decision stores, and the
profanity filter. No I/O here but reading the word lists once.

An *entry* is a counting key (the normalised text, see :func:`plenary.text.normalise_word`).
Its status follows from the poll's settings and the presenters' decisions:

* ``hidden``: a presenter hid it (``hide``); shown nowhere but to presenters;
* ``approved``: a presenter approved or showed it (``approve``, ``show``);
* ``filtered``: no decision, the poll's filter is on and the entry holds a blocked word;
* ``pending``: no decision, the poll is moderated before showing (mode ``pre``);
* ``approved`` otherwise (mode ``off``: shown at once).

Only ``approved`` entries are *visible* (screens, attendees).

The state lives in the poll activity's state fields (``meta``), which the store merges
field by field, atomically (``Store.update_activity``):

* ``moderation`` (``off`` | ``pre``), ``filter`` (bool), ``blocked_words`` (list);
* one field per decided entry, ``entry:<key>`` = ``approved`` | ``hidden``: two
  presenters deciding on two entries at once, on two processes, write two different
  fields, and both decisions stay (the same entry: the last decision wins);
* ``mod_seq``: +1 with every change that can change what is visible. Results carry
  ``seq`` = answer version + ``mod_seq``, so that clients, which keep the highest
  ``seq``, take results after a decision even when no answer came in between. A
  change is written with a compare-and-set on the activity's ``state_seq``
  (``if_seq``), so concurrent changes each get their own ``mod_seq`` (the loser reads
  again and retries).
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any

from plenary.activities.polls.domain import TEXT_KINDS, Poll, summarise
from plenary.errors import bad_request
from plenary.text import clean_text, normalise_word

#: The page languages, each with a word list in ``wordlists/<lang>.txt``.
LANGUAGES = ("en", "fr", "de", "es", "it", "pl")
WORDLISTS = Path(__file__).resolve().parent / "wordlists"

ENTRY_PREFIX = "entry:"
#: Presenters' extra blocked words per poll, and how long one may be.
MAX_BLOCKED_WORDS = 100
MAX_BLOCKED_WORD_LEN = 40
#: Decided entries per poll (a bound on the activity's state, not a rule people meet:
#: thousands of distinct answers approved one by one).
MAX_DECISIONS = 10_000
#: Entries longer than this cannot be an answer's key (open text: 280 characters).
MAX_ENTRY_LEN = 400


class Mode(StrEnum):
    """Whether new entries are shown at once (``off``) or wait for approval (``pre``)."""

    OFF = "off"
    PRE = "pre"


class EntryStatus(StrEnum):
    APPROVED = "approved"
    PENDING = "pending"
    HIDDEN = "hidden"
    FILTERED = "filtered"


class Action(StrEnum):
    """A presenter's decision on one entry: ``approve`` and ``show`` make it visible
    (``show`` reads better for a hidden or filtered entry), ``hide`` hides it."""

    APPROVE = "approve"
    HIDE = "hide"
    SHOW = "show"


STATUSES = tuple(EntryStatus)
_DECISIONS = {Action.APPROVE: EntryStatus.APPROVED, Action.SHOW: EntryStatus.APPROVED}


# -- the profanity filter ------------------------------------------------------------------
def fold(text: str) -> str:
    """The form both an answer and a blocked word are compared in: normalised like a
    counting key (NFKC, case-folded: ``ß`` is ``ss``), without accents."""
    decomposed = unicodedata.normalize("NFKD", normalise_word(text))
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


_WORD = re.compile(r"\w+")


def words_of(text: str) -> tuple[str, ...]:
    return tuple(_WORD.findall(fold(text)))


@dataclass(frozen=True)
class Pattern:
    """One blocked entry: its words in a row, the last one a prefix when it ended
    with ``*``."""

    words: tuple[str, ...]
    prefix: bool = False

    @classmethod
    def parse(cls, entry: str) -> Pattern | None:
        text = entry.strip()
        prefix = text.endswith("*")
        words = words_of(text.rstrip("*"))
        return cls(words, prefix) if words else None

    def found_in(self, words: tuple[str, ...]) -> bool:
        n = len(self.words)
        last = n - 1
        for start in range(len(words) - n + 1):
            for i, wanted in enumerate(self.words):
                got = words[start + i]
                if got != wanted and not (i == last and self.prefix and got.startswith(wanted)):
                    break
            else:
                return True
        return False


def read_wordlist(path: Path) -> tuple[str, ...]:
    """The entries of one word-list file (format: wordlists/README.md)."""
    entries = []
    for line in path.read_text(encoding="utf-8").splitlines():
        text = line.strip()
        if text and not text.startswith("#"):
            entries.append(text)
    return tuple(entries)


@functools.cache
def builtin_words() -> tuple[str, ...]:
    """Every language's list, read once per process."""
    words: list[str] = []
    for lang in LANGUAGES:
        path = WORDLISTS / f"{lang}.txt"
        if path.exists():
            words.extend(read_wordlist(path))
    return tuple(words)


class Blocklist:
    """Blocked words: the built-in lists (when the filter is on) plus a poll's own.
    Remembers its verdict per entry (entries repeat in every results broadcast)."""

    CACHE = 50_000

    def __init__(self, entries: Iterable[str]) -> None:
        patterns = (Pattern.parse(e) for e in entries)
        self.patterns = tuple(dict.fromkeys(p for p in patterns if p is not None))
        self._seen: dict[str, bool] = {}

    def blocks(self, entry: str) -> bool:
        verdict = self._seen.get(entry)
        if verdict is None:
            words = words_of(entry)
            verdict = any(p.found_in(words) for p in self.patterns)
            if len(self._seen) >= self.CACHE:
                self._seen.clear()
            self._seen[entry] = verdict
        return verdict


@functools.lru_cache(maxsize=256)
def blocklist(builtin: bool, extra: tuple[str, ...]) -> Blocklist:
    """The (shared, cached) blocklist of a poll's settings."""
    return Blocklist((*(builtin_words() if builtin else ()), *extra))


# -- settings and decisions ----------------------------------------------------------------
@dataclass(frozen=True)
class Moderation:
    """A poll's moderation settings and decisions, read from its state fields."""

    mode: Mode = Mode.OFF
    filter: bool = False
    blocked_words: tuple[str, ...] = ()
    decisions: Mapping[str, EntryStatus] = field(default_factory=dict)
    seq: int = 0

    @classmethod
    def from_meta(cls, meta: Mapping[str, Any]) -> Moderation:
        decisions = {
            name[len(ENTRY_PREFIX) :]: EntryStatus(value)
            for name, value in meta.items()
            if name.startswith(ENTRY_PREFIX) and value in (EntryStatus.APPROVED, EntryStatus.HIDDEN)
        }
        mode = meta.get("moderation")
        return cls(
            mode=Mode(mode) if mode in (Mode.OFF, Mode.PRE) else Mode.OFF,
            filter=bool(meta.get("filter", False)),
            blocked_words=tuple(meta.get("blocked_words") or ()),
            decisions=decisions,
            seq=int(meta.get("mod_seq") or 0),
        )

    @property
    def active(self) -> bool:
        """Whether anything can be kept from view (else every entry is approved)."""
        return (
            self.mode is Mode.PRE
            or self.filter
            or bool(self.blocked_words)
            or any(s is EntryStatus.HIDDEN for s in self.decisions.values())
        )

    def blocklist(self) -> Blocklist | None:
        if not self.filter and not self.blocked_words:
            return None
        return blocklist(self.filter, self.blocked_words)

    def status(self, entry: str, blocked: Blocklist | None = None) -> EntryStatus:
        """The entry's status (``blocked``: :meth:`blocklist`, passed in by callers that
        ask about many entries)."""
        decided = self.decisions.get(entry)
        if decided is not None:
            return decided
        if blocked is not None and blocked.blocks(entry):
            return EntryStatus.FILTERED
        return EntryStatus.PENDING if self.mode is Mode.PRE else EntryStatus.APPROVED

    def statuses(self, entries: Iterable[str]) -> dict[str, EntryStatus]:
        blocked = self.blocklist()
        return {entry: self.status(entry, blocked) for entry in entries}


def entry_key(entry: Any) -> str:
    """The counting key a presenter's ``entry`` names (a key, or a form of it)."""
    if not isinstance(entry, str) or len(entry) > MAX_ENTRY_LEN:
        raise bad_request(f"entry must be an answer's text, at most {MAX_ENTRY_LEN} characters.")
    key = normalise_word(entry)
    if not key:
        raise bad_request("entry is empty.")
    return key


def decision_meta(current: Moderation, key: str, action: Any) -> dict[str, Any]:
    """The state fields to merge for a presenter's decision on ``key`` ({}: it was
    decided so already)."""
    try:
        chosen = Action(action)
    except ValueError:
        raise bad_request("action must be approve, hide or show.") from None
    if key not in current.decisions and len(current.decisions) >= MAX_DECISIONS:
        raise bad_request(f"A poll keeps at most {MAX_DECISIONS} decisions.")
    status = _DECISIONS.get(chosen, EntryStatus.HIDDEN)
    if current.decisions.get(key) is status:
        return {}  # decided so already: nothing changes
    return {f"{ENTRY_PREFIX}{key}": str(status), "mod_seq": current.seq + 1}


def clean_blocked_words(words: Any) -> tuple[str, ...]:
    """A presenter's extra blocked words, checked and cleaned (duplicates dropped)."""
    if not isinstance(words, list) or not all(isinstance(w, str) for w in words):
        raise bad_request("blocked_words must be a list of words.")
    cleaned = [clean_text(w) for w in words]
    cleaned = [w for w in cleaned if w.rstrip("*").strip()]
    if len(cleaned) > MAX_BLOCKED_WORDS:
        raise bad_request(f"A poll blocks at most {MAX_BLOCKED_WORDS} words of its own.")
    if any(len(w) > MAX_BLOCKED_WORD_LEN for w in cleaned):
        raise bad_request(f"A blocked word is at most {MAX_BLOCKED_WORD_LEN} characters.")
    return tuple(dict.fromkeys(cleaned))


def settings_meta(
    current: Moderation, mode: Any = None, filter: Any = None, blocked_words: Any = None
) -> dict[str, Any]:
    """The state fields to merge for new settings (None: unchanged); {} if nothing
    changes."""
    changes: dict[str, Any] = {}
    if mode is not None:
        try:
            chosen = Mode(mode)
        except ValueError:
            raise bad_request("mode must be off or pre.") from None
        if chosen is not current.mode:
            changes["moderation"] = str(chosen)
    if filter is not None:
        if not isinstance(filter, bool):
            raise bad_request("filter must be true or false.")
        if filter != current.filter:
            changes["filter"] = filter
    if blocked_words is not None:
        words = clean_blocked_words(blocked_words)
        if words != current.blocked_words:
            changes["blocked_words"] = list(words)
    if changes:
        changes["mod_seq"] = current.seq + 1
    return changes


def split_visible(
    counts: Mapping[str, int], statuses: Mapping[str, EntryStatus]
) -> tuple[dict[str, int], dict[str, int]]:
    """``counts`` in two: the visible entries and the others."""
    shown: dict[str, int] = {}
    held: dict[str, int] = {}
    for key, n in counts.items():
        (shown if statuses.get(key, EntryStatus.APPROVED) is EntryStatus.APPROVED else held)[
            key
        ] = n
    return shown, held


def tally_by_status(statuses: Mapping[str, EntryStatus]) -> dict[str, int]:
    """How many distinct entries have each status."""
    out = dict.fromkeys((str(s) for s in STATUSES), 0)
    for status in statuses.values():
        out[str(status)] += 1
    return out


def summaries(
    poll: Poll,
    counts: Mapping[str, int],
    total: int,
    labels: Mapping[str, str] | None,
    moderation: Moderation,
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The results of a poll as presenters see them and as everyone else does (the same
    object when nothing is kept from view).

    Everyone else: the visible entries only (``counts``, ``labels``, ``distinct``);
    ``total`` stays the number of attendees who answered. Presenters: the 50 most
    frequent visible entries and the 50 most frequent others, each with its status in
    ``statuses``, ``distinct`` over every entry, and ``by_status`` (distinct entries per
    status)."""
    if poll.kind not in TEXT_KINDS or not moderation.active:
        summary = summarise(poll, counts, total, labels)
        return summary, summary
    positive = {k: v for k, v in counts.items() if v > 0}
    statuses = moderation.statuses(positive)
    shown, held = split_visible(positive, statuses)
    public = summarise(poll, shown, total, labels)
    others = summarise(poll, held, total, labels)
    ranked = sorted(
        {**public["counts"], **others["counts"]}.items(), key=lambda kv: (-kv[1], kv[0])
    )
    staff = {
        **public,
        "counts": dict(ranked),
        "distinct": len(positive),
        "labels": {**public["labels"], **others["labels"]},
        "statuses": {key: str(statuses[key]) for key, _ in ranked},
        "by_status": tally_by_status(statuses),
    }
    return staff, public
