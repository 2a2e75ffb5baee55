"""Installs world cafés (see plenary/installed.py)."""

from plenary.activities.cafe.domain import ACTIVITY_TYPE
from plenary.activities.cafe.handlers import CafeKind
from plenary.activities.cafe.limits import CafeLimits
from plenary.stage.kinds import KindPlugin

KIND = KindPlugin(ACTIVITY_TYPE, CafeKind.build, CafeLimits)
