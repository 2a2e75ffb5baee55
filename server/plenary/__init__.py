"""Plenary: a live interaction server for large virtual events.

The package is layered so that each layer only knows the one below it:

* ``plenary.activities.*.domain`` -- pure rules (no I/O): what a valid answer is,
  how answers are counted and summarised.
* ``plenary.store`` -- one small storage interface with an in-memory and a Redis
  backend; every operation that must agree across processes is atomic there.
* ``plenary.activities.*.service`` -- use cases that combine domain and store.
* ``plenary.realtime`` and ``plenary.http_api`` -- thin transports (Socket.IO
  events and REST) that validate payloads, call a service and emit.
* ``plenary.app`` wires everything into one aiohttp application.
"""

__version__ = "0.1.0"
