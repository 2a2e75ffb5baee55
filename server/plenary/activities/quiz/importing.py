"""Quiz files: importing a quiz from JSON or CSV (console upload, REST), and writing a
quiz's definition as CSV (a template to edit in a spreadsheet and import again).

JSON: the ``quiz:create`` payload (``{"title", "questions", ...}``), a bare list of
questions (the title is then given beside the file), or a definition as
:meth:`Quiz.to_dict` writes it (ids are ignored and given afresh).

CSV (UTF-8, a byte-order mark allowed; comma, semicolon or tab separated; first row the
column names, in any order and case): one question per row, blank rows skipped.

``kind`` (required), ``question`` (required), ``time_limit_s`` (default 20),
``points`` (default 1000), ``a`` ... ``f`` (option labels of single and multiple
questions, from ``a`` without gaps; ``option_a`` ... also works), ``correct`` (option
ids such as ``a`` or ``a|c``; ``true`` or ``false``), ``accept`` (accepted answers,
separated by ``|``), ``answer`` and ``tolerance`` (numbers; a decimal comma is read as
a point). A cell left blank is a field left out.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Mapping
from typing import Any

from plenary.activities.quiz.domain import (
    CHOICE_KINDS,
    OPTIONS_RANGE,
    Question,
    Quiz,
    assemble_quiz,
    build_question,
    build_quiz,
    option_id,
    too_long,
)
from plenary.activities.quiz.limits import QuizLimits
from plenary.errors import bad_request
from plenary.text import starts_like_formula

OPTION_COLUMNS = tuple(option_id(i) for i in range(OPTIONS_RANGE[1]))
CSV_COLUMNS = (
    "kind",
    "question",
    "time_limit_s",
    "points",
    *OPTION_COLUMNS,
    "correct",
    "accept",
    "answer",
    "tolerance",
)
LIST_SEPARATOR = "|"
_ID_SEPARATORS = re.compile(r"[|,;\s]+")
_NUMBER = re.compile(r"[+-]?(?:\d+(?:[.,]\d*)?|[.,]\d+)(?:[eE][+-]?\d{1,3})?")


def decode(data: str | bytes, limits: QuizLimits) -> str:
    """The file's text, within the size limit."""
    size = len(data.encode("utf-8", "surrogatepass")) if isinstance(data, str) else len(data)
    if size > limits.quiz_max_import_bytes:
        raise too_long(
            f"The file is larger than {limits.quiz_max_import_bytes // 1024} KiB; "
            "split the quiz into several files."
        )
    if isinstance(data, str):
        return data.removeprefix("\ufeff")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise bad_request("The file is not UTF-8 text; save it as UTF-8 (CSV UTF-8).") from None


def quiz_from_json(
    quiz_id: str, data: str | bytes, limits: QuizLimits, now: int, title: str | None = None
) -> Quiz:
    """Import a quiz from a JSON file; ``title`` is used when the file has none."""
    text = decode(data, limits)
    try:
        document = json.loads(text, parse_constant=_no_constant)
    except json.JSONDecodeError as exc:
        raise bad_request(
            f"The file is not valid JSON (line {exc.lineno}, column {exc.colno}); "
            "check it in a JSON editor."
        ) from None
    except (ValueError, RecursionError):  # NaN, Infinity, a 5,000-digit number, deep nesting
        raise bad_request(
            "The file holds NaN, Infinity, a number too long or nesting too deep; fix that."
        ) from None
    if isinstance(document, list):
        document = {"title": title, "questions": document}
    if not isinstance(document, Mapping):
        raise bad_request('A JSON quiz is an object {"title": ..., "questions": [...]} or a list.')
    payload = {k: v for k, v in document.items() if k not in ("id", "type", "created_at")}
    if title is not None and not payload.get("title"):
        payload["title"] = title
    if isinstance(payload.get("questions"), list):
        payload["questions"] = [_from_definition(q) for q in payload["questions"]]
    return build_quiz(quiz_id, payload, limits, now)


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a number")


def _from_definition(question: Any) -> Any:
    """A question as :meth:`Question.to_dict` wrote it, back in the payload's shape."""
    if not isinstance(question, Mapping):
        return question
    raw = {k: v for k, v in question.items() if k != "id"}
    options = raw.get("options")
    if isinstance(options, list) and all(isinstance(o, Mapping) for o in options):
        raw["options"] = [o.get("label") for o in options]
    return raw


def quiz_from_csv(
    quiz_id: str,
    data: str | bytes,
    title: Any,
    limits: QuizLimits,
    now: int,
    streak_bonus: Any = True,
    teams: Any = None,
) -> Quiz:
    """Import a quiz from a CSV file (columns in the module's docstring and
    docs/quiz.md); errors name the row and the column."""
    text = decode(data, limits)
    lines = text.splitlines()
    first = lines[0] if lines else ""
    delimiter = ";" if first.count(";") > first.count(",") else ","
    if "\t" in first and first.count("\t") > first.count(delimiter):
        delimiter = "\t"
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    row_number = 1
    try:
        header = next(reader, None)
        columns = _columns(header)
        questions: list[Question] = []
        for row_number, row in enumerate(reader, 2):  # as a spreadsheet numbers rows
            if not any(cell.strip() for cell in row):
                continue
            if len(questions) >= limits.quiz_max_questions:
                raise too_long(
                    f"A quiz has at most {limits.quiz_max_questions} questions; "
                    "split the file into several quizzes."
                )
            where = f"row {row_number}"
            raw = _row_question(columns, row, where)
            questions.append(build_question(raw, len(questions), limits, where))
    except csv.Error as exc:
        raise bad_request(f"after row {row_number}: the CSV is malformed ({exc}).") from None
    return assemble_quiz(quiz_id, title, questions, streak_bonus, teams, limits, now)


def _columns(header: list[str] | None) -> list[str]:
    if not header or not any(h.strip() for h in header):
        raise bad_request(
            "The CSV file is empty: its first row names the columns (kind, question, ...)."
        )
    columns = []
    for cell in header:
        name = "_".join(cell.strip().lower().split())
        name = (
            name.removeprefix("option_") if name.removeprefix("option_") in OPTION_COLUMNS else name
        )
        if name not in CSV_COLUMNS:
            raise bad_request(
                f"row 1: unknown column {cell.strip()[:40]!r}; the columns are: "
                f"{', '.join(CSV_COLUMNS)}."
            )
        if name in columns:
            raise bad_request(f"row 1: the column {name!r} appears twice.")
        columns.append(name)
    for required in ("kind", "question"):
        if required not in columns:
            raise bad_request(f"row 1: the CSV needs a {required!r} column.")
    return columns


def _row_question(columns: list[str], row: list[str], where: str) -> dict[str, Any]:
    if len(row) > len(columns) and any(cell.strip() for cell in row[len(columns) :]):
        raise bad_request(f"{where} has more cells than the first row has columns.")
    cells = {c: _unescape(v.strip()) for c, v in zip(columns, row, strict=False) if v.strip()}
    kind = cells.get("kind", "").lower()
    raw: dict[str, Any] = {"kind": kind, "question": cells.get("question")}
    for name in ("time_limit_s", "points"):
        if name in cells:
            raw[name] = _number(cells[name], where, name)
    labels = [cells.get(c, "") for c in OPTION_COLUMNS]
    given = [c for c, label in zip(OPTION_COLUMNS, labels, strict=True) if label]
    if given:
        if given != list(OPTION_COLUMNS[: len(given)]):
            raise bad_request(f"{where}: fill the options from column a on, without gaps.")
        raw["options"] = labels[: len(given)]
    if "correct" in cells:
        correct = cells["correct"]
        if kind in CHOICE_KINDS:
            raw["correct"] = [c.lower() for c in _ID_SEPARATORS.split(correct) if c]
        elif correct.lower() in ("true", "false"):
            raw["correct"] = correct.lower() == "true"
        else:
            raw["correct"] = correct
    if "accept" in cells:
        raw["accept"] = [a.strip() for a in cells["accept"].split(LIST_SEPARATOR) if a.strip()]
    for name in ("answer", "tolerance"):
        if name in cells:
            raw[name] = _number(cells[name], where, name)
    return raw


def _unescape(cell: str) -> str:
    # Undo _escape: exports quote a cell that starts like a formula (or with a quote).
    rest = cell[1:]
    if cell.startswith("'") and (starts_like_formula(rest) or rest.startswith("'")):
        return rest
    return cell


def _escape(text: str) -> str:
    return "'" + text if starts_like_formula(text) or text.startswith("'") else text


def _number(cell: str, where: str, name: str) -> int | float:
    if not _NUMBER.fullmatch(cell):
        raise bad_request(f"{where}, {name}: {cell[:20]!r} is not a number.")
    text = cell.replace(",", ".")
    return float(text) if "." in text or "e" in text.lower() else int(text)


def quiz_to_csv(quiz: Quiz) -> str:
    """The quiz's definition as an importable CSV (text cells made safe to open in a
    spreadsheet; the import undoes it)."""
    out = io.StringIO()
    writer = csv.writer(out, quoting=csv.QUOTE_MINIMAL, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for q in quiz.questions:
        data = q.to_dict()
        cells: dict[str, Any] = {
            "kind": data["kind"],
            "question": _escape(q.question),
            "time_limit_s": q.time_limit_s,
            "points": q.points,
        }
        for option in q.options:
            cells[option.id] = _escape(option.label)
        correct = data.get("correct")
        if isinstance(correct, bool):
            cells["correct"] = "true" if correct else "false"
        elif correct:
            cells["correct"] = LIST_SEPARATOR.join(correct)
        if q.accept:
            cells["accept"] = _escape(LIST_SEPARATOR.join(q.accept))
        if q.answer is not None:
            cells["answer"] = repr(q.answer)
            cells["tolerance"] = repr(q.tolerance)
        writer.writerow([cells.get(c, "") for c in CSV_COLUMNS])
    return out.getvalue()
