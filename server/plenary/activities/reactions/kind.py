"""Installs reactions (see plenary/activities/__init__.py)."""

from plenary.activities.reactions.domain import ACTIVITY_TYPE
from plenary.activities.reactions.handlers import ReactionsKind
from plenary.activities.reactions.limits import ReactionLimits
from plenary.stage.kinds import KindPlugin

KIND = KindPlugin(ACTIVITY_TYPE, ReactionsKind.build, ReactionLimits)
