"""Quizzes: timed questions, speed scoring, streaks, player and team leaderboards.

So far only the pure rules (``domain``, ``answers``, ``scoring``, ``players``,
``ranking``, ``rounds``, ``importing``); see docs/quiz.md."""
