"""Award ballots: plurality, approval, score, instant-runoff, Borda and Schulze votes,
sealed until the reveal and recountable from the export. ``choices`` validates a voter's
choice, ``counting`` and ``irv`` count, ``recount`` checks an export (docs/ballots.md)."""
