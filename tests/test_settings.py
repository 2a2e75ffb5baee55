"""Settings: one declaration per option drives flags, environment variables and docs."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from plenary.cli import make_parser
from plenary.settings import Limits, Settings, build_settings, configuration_markdown, options

DOC = Path(__file__).resolve().parents[1] / "docs" / "configuration.md"


def test_configuration_reference_is_up_to_date() -> None:
    assert DOC.read_text() == configuration_markdown(), (
        "docs/configuration.md is stale: run "
        "`.venv/bin/python -m plenary.settings > docs/configuration.md`"
    )


def test_every_option_is_a_flag_and_documented() -> None:
    serve = make_parser()._subparsers._group_actions[0].choices["serve"]  # type: ignore[union-attr]
    flags = {s for a in serve._actions for s in a.option_strings} - {"-h", "--help"}
    expected = {o.flag for o in options()} | {
        "--no-" + o.flag[2:] for o in options() if o.type_name == "bool"
    }
    assert flags == expected
    doc = DOC.read_text()
    for o in options():
        assert f"`{o.flag}`" in doc and f"`{o.env}`" in doc


def test_environment_then_flags() -> None:
    env = {
        "PLENARY_PORT": "9000",
        "PLENARY_REDIS_URL": "redis://h:1/0",
        "PLENARY_CORS_ALLOWED_ORIGINS": "https://a.example, https://b.example",
        "PLENARY_DEMO": "no",
        "PLENARY_EVENTS_PER_SECOND": "2.5",
        "PLENARY_MAX_ATTENDEES_PER_EVENT": "50",
    }
    settings = build_settings({"port": 9001, "host": None}, environ=env)
    assert settings.port == 9001  # the flag wins
    assert settings.host == "127.0.0.1"  # None means "not given"
    assert settings.redis_url == "redis://h:1/0" and not settings.embedded
    assert settings.cors_allowed_origins == ("https://a.example", "https://b.example")
    assert settings.demo is False and settings.create_demo is False
    assert settings.limits == Limits(events_per_second=2.5, max_attendees_per_event=50)
    assert build_settings(environ={}) == Settings()


def test_bad_environment_value_names_the_variable() -> None:
    with pytest.raises(ValueError, match="PLENARY_PORT"):
        build_settings(environ={"PLENARY_PORT": "eighty"})
    with pytest.raises(TypeError, match="unknown setting"):
        build_settings({"no_such_thing": 1}, environ={})


def test_workers_default_to_websocket_only() -> None:
    assert Settings().engineio_transports == ["polling", "websocket"]
    assert Settings(workers=3, redis_url="redis://x").engineio_transports == ["websocket"]
    assert Settings(workers=3, transports=("polling", "websocket")).engineio_transports == [
        "polling",
        "websocket",
    ]


def test_serve_help_lists_environment_variables() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "plenary", "serve", "--help"],
        capture_output=True,
        text=True,
        check=True,
        timeout=30,
    ).stdout
    assert "PLENARY_REDIS_URL" in out and "--max-payload-bytes" in out
