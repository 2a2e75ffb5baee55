"""The pages in the attendee's own language (clients/web/i18n/, docs/translations.md).

The catalogue check (no browser): every language has every key of the English
catalogue and no other, the same placeholders in every message and plural form, the
plural forms its `_meta` names; every error code of docs/protocol.md (and of the server)
has a message; every key the pages use exists, and every key exists for a page. A test
shows the check fails on a missing key and on a changed placeholder.

In Chromium against the real server: a French browser gets French text, errors
translated by their code, French numbers and times, and a French big screen; the
switcher changes the language of a page in use and remembers it; Arabic and Hebrew
names, options and answers read right-to-left inside left-to-right pages.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import Browser, Page, expect

from plenary.errors import ErrorCode
from tests.support import clients
from tests.support.browser import (  # noqa: F401 - fixtures
    chromium,
    chromium_browser,
    chromium_path,
    embedded_server,
    open_page,
)
from tests.support.server import RunningServer, create_event, end_event

ROOT = Path(__file__).resolve().parents[1]
WEB = ROOT / "clients" / "web"
I18N = WEB / "i18n"
SOURCE = "en"
PLACEHOLDER = re.compile(r"\{(\w+)\}")
CLDR_FORMS = {"zero", "one", "two", "few", "many", "other"}
CLIENT_ERROR_CODES = {"timeout", "offline"}  # the pages' own (js/core/connection.js)

expect.set_options(timeout=15_000)


# -- the catalogue check ------------------------------------------------------------------
def load(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


def placeholders(text: str) -> set[str]:
    return set(PLACEHOLDER.findall(text))


def catalogue_problems(folder: Path) -> list[str]:
    """Everything a translator must fix, one line each (empty: the catalogues are fine)."""
    problems: list[str] = []
    languages = load(folder / "languages.json")
    files = {p.stem for p in folder.glob("*.json")} - {"languages"}
    if set(languages) != files:
        problems.append(f"languages.json lists {sorted(languages)}, the files are {sorted(files)}")
    source = load(folder / f"{SOURCE}.json")
    for code in sorted(files):
        catalogue = load(folder / f"{code}.json")
        forms = catalogue.get("_meta", {}).get("plural_forms")
        if not isinstance(forms, list) or "other" not in forms or not set(forms) <= CLDR_FORMS:
            problems.append(f"{code}: _meta.plural_forms must list CLDR forms with 'other'")
            forms = ["other"]
        for key in sorted(set(catalogue) - set(source)):
            problems.append(f"{code}: {key}: not in {SOURCE}.json (removed or misspelt?)")
        for key, english in source.items():
            if key == "_meta":
                continue
            if key not in catalogue:
                problems.append(f"{code}: {key}: missing")
                continue
            value = catalogue[key]
            wanted = placeholders(english["other"] if isinstance(english, dict) else english)
            if isinstance(english, dict):
                if not isinstance(value, dict) or set(value) != set(forms):
                    problems.append(f"{code}: {key}: needs the plural forms {forms}")
                    continue
                texts = list(value.items())
            else:
                if not isinstance(value, str):
                    problems.append(f"{code}: {key}: must be a string")
                    continue
                texts = [("", value)]
            for form, text in texts:
                where = f"{code}: {key}{'.' + form if form else ''}"
                if not isinstance(text, str) or not text.strip():
                    problems.append(f"{where}: empty")
                elif placeholders(text) != wanted:
                    got = sorted(placeholders(text))
                    problems.append(f"{where}: placeholders {got}, {SOURCE} has {sorted(wanted)}")
    return problems


def test_catalogues_are_complete_with_the_same_placeholders() -> None:
    problems = catalogue_problems(I18N)
    assert not problems, "\n".join(problems)
    assert {"en", "fr", "de", "es", "it", "pl"} <= set(load(I18N / "languages.json"))


def test_the_check_fails_on_a_missing_key_or_a_changed_placeholder(tmp_path: Path) -> None:
    folder = tmp_path / "i18n"
    shutil.copytree(I18N, folder)
    german = load(folder / "de.json")
    del german["poll.send"]
    (folder / "de.json").write_text(json.dumps(german), encoding="utf-8")
    polish = load(folder / "pl.json")
    polish["poll.status_saved"] = "Twoja odpowiedź: {odpowiedz}"
    polish["results.answers"]["few"] = "odpowiedzi"
    (folder / "pl.json").write_text(json.dumps(polish), encoding="utf-8")
    problems = catalogue_problems(folder)
    assert "de: poll.send: missing" in problems
    assert any(p.startswith("pl: poll.status_saved: placeholders ['odpowiedz']") for p in problems)
    assert any(p.startswith("pl: results.answers.few: placeholders []") for p in problems)
    assert len(problems) == 3, problems


def documented_error_codes() -> set[str]:
    text = (ROOT / "docs" / "protocol.md").read_text(encoding="utf-8")
    table = text.split("## Error codes", 1)[1].split("\n## ", 1)[0]
    return set(re.findall(r"^\| `(\w+)` \|", table, flags=re.M))


def test_every_error_code_has_a_message() -> None:
    documented = documented_error_codes()
    assert {str(code) for code in ErrorCode} <= documented
    source = load(I18N / f"{SOURCE}.json")
    translated = {key.split(".", 1)[1] for key in source if key.startswith("errors.")}
    assert documented | CLIENT_ERROR_CODES <= translated
    errors_js = (WEB / "js" / "core" / "errors.js").read_text(encoding="utf-8")
    listed = errors_js.split("export const ERROR_CODES = [", 1)[1].split("];", 1)[0]
    assert set(re.findall(r'"(\w+)"', listed)) == documented | CLIENT_ERROR_CODES


def test_every_key_the_pages_use_exists_and_every_key_is_used() -> None:
    source = load(I18N / f"{SOURCE}.json")
    namespaces = {key.split(".", 1)[0] for key in source if "." in key}
    # A key is a string literal in the JS ("poll.send"), or a data-i18n attribute's value.
    key_literal = re.compile(r"""["']((?:{})\.[a-z0-9_]+)["']""".format("|".join(namespaces)))
    attribute = re.compile(r"""data-i18n(?:-attr)?="([^"]+)\"""")
    used: set[str] = set()
    for path in (WEB / "js").rglob("*.js"):
        used |= set(key_literal.findall(path.read_text(encoding="utf-8")))
    for path in WEB.glob("*.html"):
        for value in attribute.findall(path.read_text(encoding="utf-8")):
            used |= {part.split(":", 1)[-1] for part in value.split()}
    missing = sorted(used - set(source))
    assert not missing, f"keys used by the pages but not in {SOURCE}.json: {missing}"
    # errors.<code> are looked up by the code the server sends.
    unused = sorted(k for k in set(source) - used - {"_meta"} if not k.startswith("errors."))
    assert not unused, f"keys no page uses (remove them from every catalogue): {unused}"


# -- in the browser -----------------------------------------------------------------------
async def join(page: Page, name: str) -> None:
    await page.fill("#name", name)
    await page.click("#join")
    await expect(page.locator("#attendee-name")).to_have_text(name)


@pytest.mark.browser
async def test_french_browser_gets_french_text_numbers_and_times(
    server: RunningServer, browser: Browser
) -> None:
    fr = load(I18N / "fr.json")
    event = await create_event(server.url, "Conférence")
    code = event["code"]
    page, _, log = await open_page(
        browser, f"{server.url}/?event=ZZZZZZ", width=390, height=844, locale="fr-FR"
    )
    await expect(page.locator("html")).to_have_attribute("lang", "fr")
    await expect(page.locator("#join-title")).to_have_text("Rejoindre l'événement")
    await expect(page.locator("#join")).to_have_text("Rejoindre")
    await expect(page.locator("label[for=name]")).to_have_text("Votre nom")
    await expect(page.locator("#language-select")).to_have_value("fr")

    # A refused join: the error by its code, in French, not the server's English message.
    await join_refused(page, fr["errors.unknown_event"])

    await page.fill("#event-code", code)
    await join(page, "Amélie")
    await expect(page.locator("#waiting-title")).to_have_text(fr["attendee.waiting_title"])
    await expect(page.locator("#connection")).to_have_text("En direct")

    # The plural forms of every catalogue are those the browser uses for the language.
    languages = load(I18N / "languages.json")
    categories = await page.evaluate(
        "(codes) => Object.fromEntries(codes.map((c) => "
        "[c, new Intl.PluralRules(c).resolvedOptions().pluralCategories.sort()]))",
        list(languages),
    )
    for lang in languages:
        assert sorted(load(I18N / f"{lang}.json")["_meta"]["plural_forms"]) == categories[lang]

    screen, _, screen_log = await open_page(
        browser, f"{server.url}/screen?event={code}", locale="fr-FR"
    )
    await expect(screen.locator("#idle-code")).to_have_text(code)
    await expect(screen.locator(".screen-idle-text").first).to_have_text(
        "Prenez votre téléphone et allez sur"
    )
    await expect(screen.locator(".screen-idle-text").nth(1)).to_have_text(
        f"puis saisissez le code {code}"
    )
    await expect(screen.locator("#total-label")).to_have_text("réponse")

    boss = await clients.presenter(server.url, code, event["presenter_key"])
    voter = await clients.attendee(server.url, code, "Bruno")
    try:
        created = await boss.call(
            "poll:create", {"question": "Note ?", "kind": "rating", "screen_live": True}
        )
        poll_id = created["poll"]["id"]
        assert (await boss.call("poll:open", {"poll_id": poll_id}))["ok"]
        await expect(page.locator("#question")).to_have_text("Note ?")
        await expect(page.locator("#poll-kind")).to_have_text("Note")
        await expect(page.locator("#poll-hint")).to_have_text("Choisissez une note de 1 à 5.")
        await page.locator('#answer-area [data-option="4"]').click()
        await expect(page.locator("#answer-status")).to_have_text("Votre réponse\u00a0: 4 / 5")
        assert (await voter.vote(poll_id, 5))["ok"]
        await expect(screen.locator("#screen-status")).to_have_text("Note · Vote ouvert")
        await expect(screen.locator("#total-label")).to_have_text("réponses")
        assert (await boss.call("poll:close", {"poll_id": poll_id}))["ok"]
        assert (await boss.call("poll:reveal", {"poll_id": poll_id}))["ok"]
        # French numbers: a decimal comma, a space before the percent sign.
        await expect(page.locator("#results .mean")).to_have_text("4,5")
        await expect(page.locator("#results .rating-mean")).to_have_text("Moyenne 4,5 / 5")
        await expect(page.locator('#results [data-option="4"] .pct')).to_have_text("50\u00a0%")
        await expect(page.locator("#results-heading")).to_have_text("Résultats (2 réponses)")
        await expect(page.locator("#poll-closed")).to_have_text("Vote clos")
        # A large number is grouped the French way.
        grouped = await page.evaluate(
            "async () => (await import('/static/js/core/i18n.js')).formatNumber(1234567)"
        )
        assert grouped == "1\u202f234\u202f567"
    finally:
        await voter.disconnect()
        await boss.disconnect()

    await end_event(server.url, code)
    await expect(page.locator("#ended-title")).to_have_text(fr["attendee.ended_title"])
    # The end time, as French writes a time of day (24 hours).
    await expect(page.locator("#ended-text")).to_have_text(
        re.compile(r"^Cet événement s'est terminé à \d{1,2}:\d{2}\.$")
    )
    await expect(screen.locator("#screen-ended")).to_contain_text("Merci")
    log.assert_clean()
    screen_log.assert_clean()


async def join_refused(page: Page, text: str) -> None:
    await page.fill("#name", "Amélie")
    await page.click("#join")
    await expect(page.locator("#join-error")).to_have_text(text)


@pytest.mark.browser
async def test_language_switcher_switches_the_page_in_use_and_remembers(
    server: RunningServer, browser: Browser
) -> None:
    event = await create_event(server.url)
    code = event["code"]
    page, _, log = await open_page(
        browser, f"{server.url}/?event={code}", width=390, height=844, locale="en-GB"
    )
    await expect(page.locator("#join-title")).to_have_text("Join the event")
    await page.select_option("#language-select", "de")
    await expect(page.locator("#join-title")).to_have_text("An der Veranstaltung teilnehmen")
    await expect(page.locator("html")).to_have_attribute("lang", "de")
    await expect(page.locator("#join")).to_have_text("Teilnehmen")
    await join(page, "Jan")
    await expect(page.locator("#leave")).to_have_text("Verlassen")

    boss = await clients.presenter(server.url, code, event["presenter_key"])
    try:
        created = await boss.call(
            "poll:create", {"question": "Lunch?", "kind": "single", "options": ["Pizza", "Salat"]}
        )
        single = created["poll"]["id"]
        assert (await boss.call("poll:open", {"poll_id": single}))["ok"]
        await expect(page.locator("#poll-kind")).to_have_text("Einfachauswahl")
        await page.locator('#answer-area [data-option="b"]').click()
        await expect(page.locator("#answer-status")).to_have_text("Ihre Antwort: Salat")

        # Switched while a poll is on stage: everything the page wrote follows.
        await page.select_option("#language-select", "pl")
        await expect(page.locator("#poll-kind")).to_have_text("Jednokrotny wybór")
        await expect(page.locator("#answer-status")).to_have_text("Twoja odpowiedź: Salat")
        await expect(page.locator("#connection")).to_have_text("Na żywo")
        await expect(page.locator('#answer-area [data-option="b"]')).to_have_text("Salat")

        # A reload keeps the choice (this device remembers it).
        await page.reload()
        await expect(page.locator("html")).to_have_attribute("lang", "pl")
        await expect(page.locator("#answer-status")).to_have_text("Twoja odpowiedź: Salat")
        await expect(page.locator("#language-select")).to_have_value("pl")

        # A text being typed survives a switch.
        created = await boss.call("poll:create", {"question": "Word?", "kind": "wordcloud"})
        assert (await boss.call("poll:open", {"poll_id": created["poll"]["id"]}))["ok"]
        await page.fill("#text-answer", "ciao")
        await page.select_option("#language-select", "it")
        await expect(page.locator("#text-answer")).to_have_value("ciao")
        await expect(page.locator("#text-answer")).to_have_attribute("placeholder", "La tua parola")
        await expect(page.locator("#submit-answer")).to_have_text("Invia")
    finally:
        await boss.disconnect()
    log.assert_clean()


@pytest.mark.browser
async def test_right_to_left_names_and_answers_read_right(
    server: RunningServer, browser: Browser
) -> None:
    event = await create_event(server.url, "مؤتمر 2025")
    code = event["code"]
    page, _, log = await open_page(browser, f"{server.url}/?event={code}", width=390, height=844)
    await join(page, "مريم")
    presenter, _, plog = await open_page(
        browser, f"{server.url}/presenter#event={code}&key={event['presenter_key']}"
    )
    screen, _, slog = await open_page(browser, f"{server.url}/screen?event={code}")
    await expect(screen.locator("#connection")).to_have_attribute("data-state", "connected")

    async def rtl(target: Page, selector: str) -> None:
        """Each element found reads right-to-left (its own direction, from its text)."""
        nodes = target.locator(selector)
        await expect(nodes.first).to_be_attached()
        directions = await nodes.evaluate_all("(ns) => ns.map((n) => n.matches(':dir(rtl)'))")
        assert directions and all(directions), (selector, directions)

    await rtl(page, "#attendee-name")
    await rtl(page, "#event-title")
    await expect(page.locator("html")).to_have_attribute("dir", "ltr")

    boss = await clients.presenter(server.url, code, event["presenter_key"])
    voters = [await clients.attendee(server.url, code, f"V{i}") for i in range(2)]
    try:
        question = "מה דעתך?"
        created = await boss.call(
            "poll:create",
            {
                "question": question,
                "kind": "single",
                "options": ["כן", "لا", "Maybe"],
                "screen_live": True,  # live results on the big screen
            },
        )
        single = created["poll"]["id"]
        assert (await boss.call("poll:open", {"poll_id": single}))["ok"]
        await expect(page.locator("#question")).to_have_text(question)
        for target in (page, presenter, screen):
            await rtl(target, "#question" if target is not presenter else "#stage-question")
        await rtl(page, '#answer-area [data-option="a"] .option-label')
        await page.locator('#answer-area [data-option="b"]').click()
        # The answer is isolated inside the sentence: the colon stays after "answer".
        await expect(page.locator("#answer-status")).to_have_text("Your answer: لا")
        await rtl(page, "#answer-status bdi")
        assert (await voters[0].vote(single, "a"))["ok"]
        await rtl(presenter, '#chart [data-option="a"] .bar-label')
        await rtl(presenter, f'#polls [data-poll-id="{single}"] .poll-question')
        await rtl(screen, '#chart [data-option="b"] .bar-label')
        assert (await boss.call("poll:close", {"poll_id": single}))["ok"]
        assert (await boss.call("poll:reveal", {"poll_id": single}))["ok"]
        await rtl(page, '#results [data-option="a"] .bar-label')

        created = await boss.call(
            "poll:create", {"question": "كلمة؟", "kind": "wordcloud", "screen_live": True}
        )
        cloud = created["poll"]["id"]
        assert (await boss.call("poll:open", {"poll_id": cloud}))["ok"]
        for voter, word in zip(voters, ("سلام", "שלום"), strict=True):
            assert (await voter.vote(cloud, word))["ok"]
        await expect(screen.locator("#chart .word-text")).to_have_count(2)
        await rtl(screen, "#chart .word-text")
        await rtl(presenter, "#chart .word-text")
    finally:
        for client in (boss, *voters):
            await client.disconnect()
    for each in (log, plog, slog):
        each.assert_clean()
