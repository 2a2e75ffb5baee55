"""Activities: the things a presenter runs live (polls now; quizzes, world-café rounds,
pitch ballots and Q&A later).

Each activity kind is a sub-package with the same three parts:

* ``domain.py`` -- pure rules, plain data in and out, no I/O;
* ``service.py`` -- use cases on top of :class:`plenary.store.Store` and the broadcaster;
* ``events.py`` -- Socket.IO handlers registered on the :class:`plenary.realtime.router.Router`.

All kinds share the store's generic activity records (definition + status), its
idempotent ``record_answer`` with counted keys, and the coalesced results broadcaster,
so a new kind is a new module, not a change to the store or the transport.
"""
