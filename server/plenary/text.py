"""Text clean-up shared by every place that accepts text from people."""

from __future__ import annotations

import unicodedata


def clean_text(text: str) -> str:
    """Unicode-normalise (NFKC), drop control characters and collapse white space."""
    if text.isascii() and text.isprintable():
        # Most names and answers: NFKC leaves printable ASCII as it is, and it holds no
        # control characters, so only the white space is left to collapse.
        return " ".join(text.split())
    return _clean_any_text(text)


def _clean_any_text(text: str) -> str:
    text = unicodedata.normalize("NFKC", text)
    text = "".join(ch for ch in text if unicodedata.category(ch)[0] != "C" or ch in " \t\n")
    return " ".join(text.split())


def normalise_word(text: str) -> str:
    """The counting key of a free-text entry: case-folded, trimmed of surrounding
    punctuation and symbols, inner white space collapsed (``" Hello, World!! "`` and
    ``"hello, world"`` count together)."""
    text = clean_text(text).casefold()
    start, end = 0, len(text)
    while start < end and unicodedata.category(text[start])[0] in "PSZ":
        start += 1
    while end > start and unicodedata.category(text[end - 1])[0] in "PSZ":
        end -= 1
    return text[start:end]


# What makes a spreadsheet read a cell as a formula (OWASP, "CSV Injection"): = + - @,
# and tab or carriage return, which some importers treat as a cell break.
FORMULA_STARTS = frozenset("=+-@\t\r")


def starts_like_formula(text: str) -> bool:
    """Whether a spreadsheet could run ``text`` as a formula: after NFKC (fullwidth
    ``＝`` is ``=``), its first character, or the first after leading white space and
    invisible characters, is one of ``FORMULA_STARTS``."""
    if not text:
        return False
    if text[0] in FORMULA_STARTS:
        return True
    if not text.isascii():
        text = unicodedata.normalize("NFKC", text)
    for ch in text:
        if ch in FORMULA_STARTS:
            return True
        # Some spreadsheets skip leading spaces and zero-width characters.
        if unicodedata.category(ch)[0] not in "ZC":
            return False
    return False


def neutralise_formula(text: str) -> str:
    """``text`` made safe for a spreadsheet cell: prefixed with a single quote when it
    starts like a formula (OWASP's advice), else unchanged."""
    return "'" + text if starts_like_formula(text) else text
