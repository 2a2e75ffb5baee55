"""CSV exports are safe to open in a spreadsheet: every cell quoted, and text that starts
like a formula (after NFKC) prefixed with a single quote, as OWASP advises. The JSON
export stays raw."""

from __future__ import annotations

import csv
import io
import json
import re
import unicodedata
from pathlib import Path

import aiohttp
import pytest

from plenary.activities.polls.service import CSV_COLUMNS as POLL_COLUMNS
from plenary.export import EventExport, csv_cell, to_csv
from plenary.stage.kinds import ExportSection
from plenary.text import clean_text, neutralise_formula, starts_like_formula
from tests.support import clients
from tests.support.server import create_event, end_event, running_server

FORMULAS = [
    '=HYPERLINK("http://x","y")',
    "+cmd",
    "@SUM(1)",
    "-2+3",
    '=cmd|" /C calc"!A0',
    "=1+1",
    "-",
    "\t=1+1",
    "\tabc",
    "\r=1+1",
    "\rabc",
    "＝1+1",  # fullwidth = + @ - and the small equals sign: NFKC makes them ASCII
    "＋cmd",
    "＠SUM(1)",
    "－2+3",
    "﹦1+1",
    " =1+1",  # spreadsheets may skip leading white space and invisible characters
    "\u3000＝1+1",
    "\u200b=1+1",
    "\n=1+1",
]
HARMLESS = ["Europe", "", "3", "a=b", "3-2", "e-mail", "'quoted", "Zürich", "日本", "1,5", " x"]


def looks_like_formula(cell: str) -> bool:
    """The test's own check, independent of the server's: NFKC, then the first character,
    or the first after white space and zero-width characters."""
    text = unicodedata.normalize("NFKC", cell)
    if text[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return True
    return text.lstrip(" \t\r\n\u200b\u200c\u200d\ufeff")[:1] in ("=", "+", "-", "@")


@pytest.mark.parametrize("payload", FORMULAS)
def test_formulas_are_neutralised(payload: str) -> None:
    assert starts_like_formula(payload)
    assert neutralise_formula(payload) == "'" + payload
    # Also once the server's own input clean-up has run (as on answers and names): it
    # drops a leading tab or CR, and what follows is judged on its own.
    cleaned = clean_text(payload)
    expected = "'" + cleaned if looks_like_formula(cleaned) else cleaned
    assert neutralise_formula(cleaned) == expected
    assert looks_like_formula(cleaned) == (payload not in ("\tabc", "\rabc"))


@pytest.mark.parametrize("payload", HARMLESS)
def test_harmless_text_is_unchanged(payload: str) -> None:
    assert not starts_like_formula(payload)
    assert neutralise_formula(payload) == payload


def test_numbers_stay_numbers() -> None:
    assert csv_cell(1700000000000) == 1700000000000
    assert csv_cell(-5) == -5 and csv_cell(-2.5) == -2.5
    assert csv_cell("-5") == "'-5"
    assert csv_cell(None) == ""
    assert csv_cell(True) == "True"


def test_to_csv_quotes_and_neutralises_every_text_cell() -> None:
    when = "2023-11-14T22:13:20.000Z"
    rows = [
        (
            "p_1",
            "@SUM(1) where?",
            "multiple",
            "a_1",
            '=cmd|" /C calc"!A0',
            "+cmd; Europe",
            1700,
            when,
        ),
        ("p_1", "@SUM(1) where?", "multiple", "a_2", "Ada", "Europe; -2+3", 1701, when),
        ("p_1", "@SUM(1) where?", "multiple", "a_gone", "", "3", 1702, when),
    ]
    export = EventExport({}, {"poll": ExportSection("polls", [], POLL_COLUMNS, rows)})
    head = '"activity_type","poll_id","question","kind","attendee_id","attendee_name","answer"'
    assert to_csv(export) == (
        "\ufeff" + head + ',"ts","time_utc"\r\n'
        '"poll","p_1","\'@SUM(1) where?","multiple","a_1","\'=cmd|"" /C calc""!A0",'
        f'"\'+cmd; Europe","1700","{when}"\r\n'
        f'"poll","p_1","\'@SUM(1) where?","multiple","a_2","Ada","Europe; -2+3","1701","{when}"\r\n'
        f'"poll","p_1","\'@SUM(1) where?","multiple","a_gone","","3","1702","{when}"\r\n'
    )


# The real server: names and open-text answers from attendees, a question and option
# labels from the presenter.
PAYLOADS = [
    '=HYPERLINK("http://x","y")',
    "+cmd",
    "@SUM(1)",
    "-2+3",
    '=cmd|" /C calc"!A0',
    "\t=2+2",  # the server's clean-up drops the tab and the CR; the cell is checked still
    "\r=3+3",
    "＝1+1",
    "＋1",
    "＠A1",
    "－1",
    "Europe",
    "a=b",
    "3",
]
QUESTION = "@SUM(1) where from?"
OPTIONS = ["+cmd", "-2+3", "Europe"]


async def http_get(url: str, token: str) -> tuple[int, str]:
    headers = {"Authorization": f"Bearer {token}"}
    async with aiohttp.ClientSession() as http, http.get(url, headers=headers) as response:
        return response.status, await response.text()


def check_csv(text: str) -> list[list[str]]:
    """Parse the CSV and check every cell; returns the data rows."""
    assert text.startswith("\ufeff")  # the byte-order mark spreadsheet programs need
    text = text[1:]
    rows = list(csv.reader(io.StringIO(text, newline="")))
    # Every cell is quoted: writing the parsed rows back with QUOTE_ALL gives the text.
    again = io.StringIO()
    csv.writer(again, quoting=csv.QUOTE_ALL).writerows(rows)
    assert again.getvalue() == text
    # The polls' columns come first; the other installed kinds' follow, empty in a
    # poll's row. Returned: the rows' poll part.
    width = 1 + len(POLL_COLUMNS)
    assert tuple(rows[0][:width]) == ("activity_type", *POLL_COLUMNS)
    polls = []
    for row in rows[1:]:
        assert len(row) == len(rows[0]) and row[0] == "poll"
        assert not any(row[width:]), row
        row = row[:width]
        for cell in row:
            assert not looks_like_formula(cell), (cell, row)
        assert row[-2].isdigit()  # ts: a plain number, not prefixed
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", row[-1])
        polls.append(row)
    return polls


def unquote(cell: str) -> str:
    return cell[1:] if cell.startswith("'") else cell


async def test_csv_export_and_end_of_event_file(redis_url: str | None, tmp_path: Path) -> None:
    async with running_server(redis_url, export_dir=str(tmp_path)) as server:
        event = await create_event(server.url, "=1+1 Day")
        code = event["code"]
        presenter = await clients.presenter(server.url, code, event["presenter_key"])
        people = [await clients.attendee(server.url, code, name) for name in PAYLOADS]
        text_poll = await presenter.call("poll:create", {"question": QUESTION, "kind": "open_text"})
        text_id = text_poll["poll"]["id"]
        assert (await presenter.call("poll:open", {"poll_id": text_id}))["ok"]
        for person, answer in zip(people, PAYLOADS, strict=True):
            ack = await person.vote(text_id, answer)
            assert ack["ok"], (answer, ack)
        choice_poll = await presenter.call(
            "poll:create", {"question": "Where?", "kind": "single", "options": OPTIONS}
        )
        choice_id = choice_poll["poll"]["id"]
        assert (await presenter.call("poll:open", {"poll_id": choice_id}))["ok"]
        option_ids = [o["id"] for o in choice_poll["poll"]["options"]]
        for i, person in enumerate(people):
            assert (await person.vote(choice_id, option_ids[i % len(OPTIONS)]))["ok"]

        status, body = await http_get(
            f"{server.url}/api/events/{code}/export?format=csv", event["presenter_key"]
        )
        assert status == 200
        rows = check_csv(body)
        # Nothing lost: strip the one added quote and the stored (normalised) text is back,
        # and the quote was added exactly where the text starts like a formula.
        stored = [clean_text(p) for p in PAYLOADS]
        by_poll: dict[str, dict[str, tuple[str, str]]] = {text_id: {}, choice_id: {}}
        for _, poll_id, question, _, _, name, answer, _, _ in rows:
            by_poll[poll_id][unquote(name)] = (question, answer)
            for cell in (question, name, answer):
                assert cell.startswith("'") == looks_like_formula(unquote(cell)), cell
        assert by_poll[text_id] == {s: ("'" + QUESTION, neutralise_formula(s)) for s in stored}
        assert by_poll[choice_id] == {
            s: ("Where?", neutralise_formula(OPTIONS[i % len(OPTIONS)]))
            for i, s in enumerate(stored)
        }
        assert by_poll[text_id]["=1+1"] == ("'" + QUESTION, "'=1+1")  # from fullwidth ＝1+1

        # The end-of-event file is the same CSV; the JSON file keeps the raw text.
        await end_event(server.url, code)
        csv_file = (tmp_path / f"plenary-{code}.csv").read_bytes().decode("utf-8")
        assert csv_file == body
        data = json.loads((tmp_path / f"plenary-{code}.json").read_text(encoding="utf-8"))
        assert sorted(a["name"] for a in data["attendees"]) == sorted(stored)
        text_answers = next(p for p in data["polls"] if p["id"] == text_id)["answers"]
        assert sorted(a["value"] for a in text_answers) == sorted(stored)
        for client in (presenter, *people):
            await client.disconnect()
