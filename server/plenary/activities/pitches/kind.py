"""Installs pitch sessions (see plenary/activities/__init__.py)."""

from plenary.activities.pitches.domain import ACTIVITY_TYPE
from plenary.activities.pitches.handlers import PitchesKind
from plenary.activities.pitches.limits import PitchLimits
from plenary.stage.kinds import KindPlugin

KIND = KindPlugin(ACTIVITY_TYPE, PitchesKind.build, PitchLimits)
