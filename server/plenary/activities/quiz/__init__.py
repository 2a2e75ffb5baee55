"""Quizzes: timed questions, speed scoring, streaks, player and team leaderboards.
Installed by ``kind.KIND``; the rules are pure modules (``domain``, ``answers``,
``scoring``, ``players``, ``ranking``, ``rounds``, ``importing``, ``board``), the rest
runs them live (``service``, ``answering``, ``deadlines``, ``scores``, ``welcome``,
``exporting``, ``handlers``); see docs/quiz.md."""
