"""Installs polls (see plenary/activities/__init__.py)."""

from plenary.activities.polls.domain import ACTIVITY_TYPE
from plenary.activities.polls.handlers import PollsKind
from plenary.activities.polls.limits import PollLimits
from plenary.stage.kinds import KindPlugin

KIND = KindPlugin(ACTIVITY_TYPE, PollsKind.build, PollLimits)
