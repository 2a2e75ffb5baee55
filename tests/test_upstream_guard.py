"""Guard: the python-socketio, python-engineio and redis-py code that Plenary overrides,
copies or relies on by private name is still the code Plenary was written against.

The fast path subclasses engineio's and python-socketio's servers, sockets, managers and
packets and overrides many of their private members; the store reaches into redis-py's
connections and pools. A new upstream release can change any of that without changing a
public signature, and break Plenary in ways no type checker sees. This test keeps a hash
of each such upstream function, method, class or attribute (tokens of its source, without
comments, blank lines and docstrings) in ``tests/upstream_fingerprints.json``, with the
version it was recorded at, and fails, naming each one, when the installed code differs.

What is watched is found from Plenary's classes (see ``tests/support/upstream.py``):

* every upstream member that a Plenary subclass overrides (the definition found by
  walking its MRO), and every upstream method that calls such a member through ``self``
  or ``super()`` (its call contract with the override);
* every upstream member or instance attribute that Plenary's code names by a private
  name (``_x``), or that a Plenary subclass declares as an attribute it uses;
* the upstream code Plenary copies or mirrors, or relies on without subclassing:
  :data:`EXPLICIT`.

To read what changed upstream, function by function (the recorded versions' wheels are
fetched with pip), and after a reviewed upgrade (docs/upgrading.md) to record the new
fingerprints::

    .venv/bin/python -m tests.test_upstream_guard --diff
    .venv/bin/python -m tests.test_upstream_guard --record
"""

from __future__ import annotations

import re
import sys
from typing import Any

from tests.support import upstream_diff
from tests.support.upstream import (
    LOCK,
    RECORD,
    RECORD_COMMAND,
    ROOT,
    compare,
    current,
    fingerprint,
    installed_versions,
    load_record,
    locked_versions,
    report,
    segment,
    source_of,
    watched,
    write_record,
)

#: Upstream code that Plenary copies, mirrors or relies on without overriding it, which
#: the discovery from its subclasses cannot see: ``module:qualified.name`` and why.
EXPLICIT: tuple[tuple[str, str], ...] = (
    # engine.io
    (
        "engineio.async_drivers.aiohttp:WebSocket",
        "mirrored by plenary.realtime.wire.socket:WebSocketDriver",
    ),
    (
        "engineio.async_drivers.aiohttp:_async",
        "the driver table EngineServer copies with its own websocket class",
    ),
    (
        "engineio.async_drivers.aiohttp:translate_request",
        "called by EngineServer.handle_request for a new websocket",
    ),
    (
        "engineio.async_socket:AsyncSocket.check_ping_timeout",
        "its condition is copied in DirectSocket.past_ping_timeout",
    ),
    (
        "engineio.async_socket:AsyncSocket.handle_get_request",
        "its upgrade decision is copied in EngineServer._handle_connect",
    ),
    (
        "engineio.async_server:AsyncServer._trigger_event",
        "mirrored by EngineServer._trigger_connect and DirectSocket.deliver_message",
    ),
    (
        "engineio.async_server:AsyncServer.send",
        "PlenaryServer._send_packet's way to a client it does not write to directly",
    ),
    (
        "engineio.packet:Packet.encode",
        "EngineServer._handle_connect and DirectSocket.ping_due write its encodings",
    ),
    # Socket.IO
    (
        "socketio.packet:Packet.decode",
        "parse_event and parse_connect (realtime/wire/server.py) decode the common packets",
    ),
    (
        "socketio.async_server:AsyncServer._handle_event_internal",
        "mirrored by PlenaryServer._handle_eio_message and _ack_args",
    ),
    (
        "socketio.base_manager:BaseManager.get_participants",
        "reads room members through _fwdm, which RoomMembers (realtime/wire/manager.py) provides"
        " and LocalManager.emit_frames reads too",
    ),
    # redis-py
    (
        "redis.asyncio.client:Pipeline._execute_pipeline",
        "mirrored by plenary.store.autopipeline:AutoPipeline._exchange",
    ),
    (
        "redis.asyncio.client:Redis.parse_response",
        "its use of response_callbacks is mirrored by AutoPipeline._exchange",
    ),
    (
        "redis.asyncio.client:Redis.__init__",
        "sets response_callbacks and connection_pool, read by AutoPipeline",
    ),
    (
        "redis.asyncio.connection:ConnectionPool.__init__",
        "sets connection_class and the connection kwargs, read by AutoPipeline",
    ),
    (
        "redis.asyncio.connection:ConnectionPool.connection_kwargs",
        "AutoPipeline makes its own connections from it",
    ),
    (
        "redis.asyncio.connection:ConnectionPool.from_url",
        "RedisStore replaces the connection_class it chose (store/packing.py)",
    ),
    (
        "redis.asyncio.connection:ConnectionPool.make_connection",
        "must build connections from connection_class (store/packing.py)",
    ),
    (
        "redis.asyncio.connection:BlockingConnectionPool.__init__",
        "the pool RedisStore builds",
    ),
    (
        "redis.asyncio.connection:AbstractConnection.__init__",
        "sets retry, used by AutoPipeline._exchange",
    ),
    (
        "redis.asyncio.connection:AbstractConnection.send_packed_command",
        "called by AutoPipeline._exchange",
    ),
    (
        "redis.asyncio.connection:AbstractConnection.read_response",
        "called by AutoPipeline._exchange",
    ),
    (
        "redis.asyncio.connection:AbstractConnection.disconnect",
        "called by AutoPipeline._exchange (nowait=True after a failed exchange)",
    ),
    (
        "redis.asyncio.retry:Retry.call_with_retry",
        "called by AutoPipeline._exchange",
    ),
    (
        "redis._parsers.base:BaseParser.EXCEPTION_CLASSES",
        "turns NOSCRIPT into NoScriptError, which AutoPipeline handles",
    ),
)


# -- tests -----------------------------------------------------------------------------------
def test_upstream_code_is_what_plenary_was_written_against() -> None:
    problems = compare(load_record(), current(EXPLICIT), installed_versions())
    assert not problems, report(problems)


def test_the_overrides_are_found() -> None:
    """The discovery finds what it must (else the guard would watch nothing)."""
    found = watched(EXPLICIT)
    expected = {
        "engineio.async_socket:AsyncSocket.send": "overridden by plenary.realtime.wire.socket",
        "engineio.base_socket:BaseSocket.__init__": "overridden by plenary.realtime.wire.socket",
        "engineio.async_server:AsyncServer._handle_connect": "overridden by",
        "socketio.async_server:AsyncServer._handle_eio_message": "overridden by",
        "socketio.base_manager:BaseManager.basic_enter_room": "overridden by",
        "socketio.async_redis_manager:AsyncRedisManager._listen": "overridden by",
        "socketio.async_pubsub_manager:AsyncPubSubManager._thread": "calls _listen",
        "socketio.packet:Packet.encode": "overridden by plenary.realtime.wire.frames:PlenaryPacket",
        "redis.asyncio.connection:AbstractConnection.pack_command": "HiredisPacking",
    }
    for key, why in expected.items():
        assert key in found, f"{key} is not watched"
        assert any(why in reason for reason in found[key].why), (key, found[key].why)
    # Every watched definition exists in the installed packages.
    for key in found:
        assert source_of(key), key


def test_a_change_upstream_is_reported_with_the_way_forward() -> None:
    now = current(EXPLICIT)
    versions = installed_versions()
    # A record of what is installed (whatever the file says), then three differences.
    record: dict[str, Any] = {
        "code": {
            k: {"sha256": v["sha256"], "version": f"{v['package']} {versions[v['package']]}"}
            for k, v in now.items()
        }
    }
    key = "engineio.async_socket:AsyncSocket.send"
    record["code"][key]["sha256"] = "0" * 16
    record["code"][key]["version"] = "python-engineio 4.0.0"
    gone = "socketio.async_server:AsyncServer._send_packet"
    now[gone] = {**now[gone], "sha256": None}
    record["code"]["engineio.old:Gone.method"] = {"sha256": "1" * 16, "version": "x 1"}
    problems = compare(record, now, versions)
    assert len(problems) == 3, problems
    message = report(problems)
    assert f"CHANGED  {key}: differs from the code recorded at python-engineio 4.0.0" in message
    assert f"(installed: python-engineio {versions['python-engineio']})" in message
    assert "overridden by plenary.realtime.wire.socket:DirectSocket.send" in message
    assert f"GONE     {gone}" in message
    assert "UNUSED   engineio.old:Gone.method" in message
    assert "docs/upgrading.md" in message and RECORD_COMMAND in message
    # What counts as the same code: comments, blank lines, wrapping and docstrings don't.
    plain = "def f(a, b):\n    return g(a, b)\n"
    same = 'def f(a, b):\n    """Doc."""\n\n    # why\n    return g(\n        a, b\n    )\n'
    assert fingerprint(plain) == fingerprint(same)
    assert fingerprint(plain) != fingerprint(plain.replace("a, b)\n", "b, a)\n"))
    assert fingerprint("def f():\n    return f'{x!r}'\n") != fingerprint(
        "def f():\n    return f'{x}'\n"
    )


def test_the_diff_shows_the_fingerprinted_lines() -> None:
    """``--diff`` cuts each watched definition out of a module's source: the very code
    whose fingerprint is recorded (checked here on the installed copy, offline)."""
    import importlib.util
    from pathlib import Path

    for key in load_record()["code"]:
        module, _, qualname = key.partition(":")
        spec = importlib.util.find_spec(module)
        assert spec is not None and spec.origin is not None, key
        assert Path(spec.origin).as_posix().endswith(upstream_diff.module_path(module))
        cut = segment(Path(spec.origin).read_text(), qualname)
        assert fingerprint(cut) == fingerprint(source_of(key)), key


def test_the_lock_pins_what_pyproject_asks_for_and_is_installed() -> None:
    """requirements.lock satisfies pyproject.toml's ranges (its dependencies and dev
    extra), pins each with hashes, and the watched packages are installed as locked."""
    import tomllib

    from packaging.requirements import Requirement
    from packaging.utils import canonicalize_name

    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    pins = locked_versions()
    for line in [*project["dependencies"], *project["optional-dependencies"]["dev"]]:
        requirement = Requirement(line)
        if requirement.marker is not None and not requirement.marker.evaluate():
            continue
        name = canonicalize_name(requirement.name)
        assert name in pins, f"{name} is not in requirements.lock: run ./scripts/dev lock"
        assert requirement.specifier.contains(pins[name], prereleases=True), (
            f"requirements.lock pins {name}=={pins[name]}, outside pyproject.toml's "
            f"{requirement}: run ./scripts/dev lock --upgrade-package {name}"
        )
    blocks = re.split(r"\n(?=[A-Za-z0-9])", LOCK.read_text())
    unhashed = [b.split()[0] for b in blocks if "==" in b.split("\n")[0] and "--hash" not in b]
    assert not unhashed, f"pinned without a hash in requirements.lock: {unhashed}"
    for dist, version in installed_versions().items():
        assert pins[canonicalize_name(dist)] == version, (
            f"{dist} {version} is installed, requirements.lock pins "
            f"{pins[canonicalize_name(dist)]}: run ./scripts/dev install"
        )


def main(argv: list[str]) -> int:
    if argv not in (["--record"], ["--diff"]):
        print(__doc__)
        return 2
    now, versions = current(EXPLICIT), installed_versions()
    recorded = load_record()["code"] if RECORD.exists() else {}
    if argv == ["--diff"]:
        changed = {
            key: (item["package"], recorded[key]["version"].split()[-1], versions[item["package"]])
            for key, item in now.items()
            if key in recorded and item["sha256"] != recorded[key]["sha256"]
        }
        for diff in upstream_diff.diffs(changed):
            print(diff)
        print(f"{len(changed)} watched upstream definitions differ from the record.")
        return 0
    missing = [key for key, item in now.items() if item["sha256"] is None]
    if missing:
        print("Cannot record: these no longer exist upstream; adapt Plenary first:")
        print("\n".join(f"  {key}" for key in missing))
        return 1
    problems = compare({"code": recorded}, now, versions)
    write_record(now, versions)
    print("\n".join(problems) or "No change.")
    pinned = ", ".join(f"{dist} {version}" for dist, version in versions.items())
    print(f"Recorded {len(now)} fingerprints ({pinned}) in {RECORD.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
