"""Activities: the things a presenter runs live. Each kind is a package here, side by
side, none importing another:

* ``domain.py`` -- the pure rules, plain data in and out, no I/O;
* ``service.py`` -- use cases on the store, the stage and the broadcaster;
* ``handlers.py`` -- the kind's Socket.IO messages and its
  :class:`plenary.stage.kinds.ActivityKind`;
* ``limits.py`` (optional) -- ``LIMITS``, a dataclass of the kind's configurable limits;
* ``kind.py`` -- ``KIND``, the :class:`plenary.stage.kinds.KindPlugin` that installs it.

A kind is installed by one line in :mod:`plenary.installed`. Keep a kind's
``__init__.py`` free of imports: the settings read its ``limits.py`` on their own.
"""
