"""The benchmarks' client harness reads ``ts`` wherever a server message has it."""

from __future__ import annotations

from bench.fanout_clients import parse_ts


def test_ts_is_read_wherever_it_is_in_the_message() -> None:
    assert parse_ts(b'42["poll:opened",{"poll_id":"p","ts":1764100000123}]') == 1764100000123
    assert parse_ts(b'42["quiz:result",{"ts":1764100000124,"rank":2}]') == 1764100000124
    assert parse_ts(b'42["welcome",{"name":"ts"}]') == -1.0
    assert parse_ts(b'42["x",{"ts":"soon"}]') == -1.0
