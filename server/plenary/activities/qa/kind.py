"""Installs Q&A (see plenary/activities/__init__.py)."""

from plenary.activities.qa.domain import ACTIVITY_TYPE
from plenary.activities.qa.handlers import QAKind
from plenary.activities.qa.limits import QALimits
from plenary.stage.kinds import KindPlugin

KIND = KindPlugin(ACTIVITY_TYPE, QAKind.build, QALimits)
