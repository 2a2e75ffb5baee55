"""Unit tests of the pure poll rules: building polls, validating answers, summaries."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from plenary.activities.polls.domain import (
    Poll,
    PollKind,
    answer_labels,
    build_poll,
    summarise,
    validate_answer,
)
from plenary.activities.polls.limits import PollLimits as Limits
from plenary.errors import ErrorCode, PlenaryError
from plenary.text import _clean_any_text, clean_text, normalise_word

LIMITS = Limits()


def poll(kind: str, options: Any = None, scale: Any = None, question: Any = "Q?") -> Poll:
    return build_poll("p_1", question, kind, options, scale, LIMITS, now=1000)


def error_code(fn: Any, *args: Any) -> ErrorCode:
    with pytest.raises(PlenaryError) as info:
        fn(*args)
    return info.value.code


class TestBuildPoll:
    def test_choice_poll_gets_letter_ids_in_order(self) -> None:
        p = poll("single", ["Red", "  Green ", "Blue"])
        assert [(o.id, o.label) for o in p.options] == [("a", "Red"), ("b", "Green"), ("c", "Blue")]
        assert p.kind is PollKind.SINGLE and p.scale is None and p.created_at == 1000

    def test_rating_defaults_to_five(self) -> None:
        assert poll("rating").scale == 5
        assert poll("rating", scale=10).scale == 10

    @pytest.mark.parametrize(
        ("kind", "options", "scale", "question", "code"),
        [
            ("single", ["only one"], None, "Q?", ErrorCode.BAD_REQUEST),
            ("single", None, None, "Q?", ErrorCode.BAD_REQUEST),
            ("single", ["a", "A"], None, "Q?", ErrorCode.BAD_REQUEST),
            ("single", ["a", ""], None, "Q?", ErrorCode.BAD_REQUEST),
            ("single", ["a", 3], None, "Q?", ErrorCode.BAD_REQUEST),
            ("single", [str(i) for i in range(13)], None, "Q?", ErrorCode.BAD_REQUEST),
            ("single", ["a", "x" * 121], None, "Q?", ErrorCode.TOO_LONG),
            ("rating", None, 7, "Q?", ErrorCode.BAD_REQUEST),
            ("rating", None, True, "Q?", ErrorCode.BAD_REQUEST),
            ("wordcloud", ["a", "b"], None, "Q?", ErrorCode.BAD_REQUEST),
            ("single", ["a", "b"], 5, "Q?", ErrorCode.BAD_REQUEST),
            ("quiz", None, None, "Q?", ErrorCode.BAD_REQUEST),
            ("single", ["a", "b"], None, "   ", ErrorCode.BAD_REQUEST),
            ("single", ["a", "b"], None, 42, ErrorCode.BAD_REQUEST),
            ("single", ["a", "b"], None, "q" * 301, ErrorCode.TOO_LONG),
        ],
    )
    def test_rejects_bad_definitions(
        self, kind: str, options: Any, scale: Any, question: Any, code: ErrorCode
    ) -> None:
        assert error_code(poll, kind, options, scale, question) is code

    def test_round_trips_through_plain_data(self) -> None:
        p = poll("multiple", ["x", "y", "z"])
        assert Poll.from_dict(p.to_dict()) == p
        assert p.to_dict()["kind"] == "multiple" and p.to_dict()["type"] == "poll"


class TestValidateAnswer:
    def test_single(self) -> None:
        p = poll("single", ["x", "y"])
        answer = validate_answer(p, "b", LIMITS)
        assert (answer.value, answer.keys) == ("b", ("b",))
        assert error_code(validate_answer, p, "c", LIMITS) is ErrorCode.BAD_CHOICE
        assert error_code(validate_answer, p, ["a"], LIMITS) is ErrorCode.BAD_REQUEST

    def test_multiple_orders_by_option_and_rejects_repeats(self) -> None:
        p = poll("multiple", ["x", "y", "z"])
        answer = validate_answer(p, ["c", "a"], LIMITS)
        assert (answer.value, answer.keys) == (["a", "c"], ("a", "c"))
        assert error_code(validate_answer, p, [], LIMITS) is ErrorCode.BAD_CHOICE
        assert error_code(validate_answer, p, ["a", "a"], LIMITS) is ErrorCode.BAD_CHOICE
        assert error_code(validate_answer, p, ["a", "q"], LIMITS) is ErrorCode.BAD_CHOICE
        assert error_code(validate_answer, p, "a", LIMITS) is ErrorCode.BAD_REQUEST

    def test_rating_range_and_type(self) -> None:
        p = poll("rating", scale=10)
        assert validate_answer(p, 10, LIMITS).keys == ("10",)
        assert error_code(validate_answer, p, 0, LIMITS) is ErrorCode.BAD_CHOICE
        assert error_code(validate_answer, p, 11, LIMITS) is ErrorCode.BAD_CHOICE
        assert error_code(validate_answer, p, True, LIMITS) is ErrorCode.BAD_REQUEST
        assert error_code(validate_answer, p, 3.0, LIMITS) is ErrorCode.BAD_REQUEST
        assert error_code(validate_answer, p, "3", LIMITS) is ErrorCode.BAD_REQUEST

    def test_wordcloud_normalises_and_limits(self) -> None:
        p = poll("wordcloud")
        answer = validate_answer(p, "  Hello,   World!! ", LIMITS)
        assert answer.value == "Hello, World!!"
        assert answer.keys == ("hello, world",)
        assert answer.labels == {"hello, world": "Hello, World!!"}
        assert validate_answer(poll("single", ["x", "y"]), "a", LIMITS).labels == {}
        assert error_code(validate_answer, p, "x" * 41, LIMITS) is ErrorCode.TOO_LONG
        assert error_code(validate_answer, p, " !!! ", LIMITS) is ErrorCode.BAD_CHOICE
        assert error_code(validate_answer, p, 5, LIMITS) is ErrorCode.BAD_REQUEST

    def test_open_text_allows_longer_text(self) -> None:
        p = poll("open_text")
        assert validate_answer(p, "y" * 280, LIMITS).keys == ("y" * 280,)
        assert error_code(validate_answer, p, "y" * 281, LIMITS) is ErrorCode.TOO_LONG


class TestNormalisation:
    @pytest.mark.parametrize(
        ("raw", "key"),
        [
            ("Hello", "hello"),
            ("  HELLO!  ", "hello"),
            ("¡Hola!", "hola"),
            ("Straße", "strasse"),
            ("ﬁne", "fine"),  # NFKC folds the ligature
            ("rock\u200b'n'roll", "rock'n'roll"),  # zero-width space dropped, inner quotes kept
            ("new\tline\nhere", "new line here"),
            ("🎉party🎉", "party"),
            ("\x1fsep", "sep"),  # control characters can never reach the store's separator
        ],
    )
    def test_keys(self, raw: str, key: str) -> None:
        assert normalise_word(raw) == key

    def test_clean_text_keeps_case(self) -> None:
        assert clean_text("  Ada \n Lovelace ") == "Ada Lovelace"

    @settings(max_examples=500, deadline=None)
    @given(st.text(alphabet=st.characters(max_codepoint=0x7F)) | st.text())
    def test_the_ascii_shortcut_cleans_as_the_general_way_does(self, text: str) -> None:
        assert clean_text(text) == _clean_any_text(text)


class TestSummarise:
    def test_choice_counts_include_zeros(self) -> None:
        p = poll("single", ["x", "y", "z"])
        assert summarise(p, {"b": 2, "a": 0}, 2) == {"total": 2, "counts": {"a": 0, "b": 2, "c": 0}}

    def test_rating_mean(self) -> None:
        p = poll("rating")
        result = summarise(p, {"5": 2, "2": 1}, 3)
        assert result["counts"] == {"1": 0, "2": 1, "3": 0, "4": 0, "5": 2}
        assert result["mean"] == 4.0
        assert summarise(p, {}, 0)["mean"] is None

    def test_wordcloud_top_entries_sorted(self) -> None:
        p = poll("wordcloud")
        counts = {f"w{i:03d}": 1 for i in range(60)} | {"zeta": 5, "alpha": 5}
        result = summarise(p, counts, 70, {"alpha": "Alpha!", "nowhere": "x"})
        assert list(result["counts"])[:3] == ["alpha", "zeta", "w000"]
        assert len(result["counts"]) == 50
        assert result["distinct"] == 62
        # Labels for exactly the shown entries; the key itself where none was recorded.
        assert list(result["labels"]) == list(result["counts"])
        assert result["labels"]["alpha"] == "Alpha!" and result["labels"]["zeta"] == "zeta"

    def test_labels_for_exports(self) -> None:
        p = poll("multiple", ["x", "y"])
        assert answer_labels(p, ["a", "b"]) == ["x", "y"]
        assert answer_labels(poll("rating"), 4) == ["4"]
