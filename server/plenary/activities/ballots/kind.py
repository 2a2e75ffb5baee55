"""Installs award ballots (see plenary/activities/__init__.py)."""

from plenary.activities.ballots.definition import ACTIVITY_TYPE
from plenary.activities.ballots.handlers import BallotsKind
from plenary.activities.ballots.limits import BallotLimits
from plenary.stage.kinds import KindPlugin

KIND = KindPlugin(ACTIVITY_TYPE, BallotsKind.build, BallotLimits)
