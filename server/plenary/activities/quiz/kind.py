"""Installs quizzes (see plenary/activities/__init__.py)."""

from plenary.activities.quiz.domain import ACTIVITY_TYPE
from plenary.activities.quiz.handlers import QuizKind
from plenary.activities.quiz.limits import QuizLimits
from plenary.stage.kinds import KindPlugin

KIND = KindPlugin(ACTIVITY_TYPE, QuizKind.build, QuizLimits)
