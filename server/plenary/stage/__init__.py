"""What every activity kind plugs into: the kind interface and its registry
(:mod:`.kinds`), and the stage that keeps one activity on stage per event
(:mod:`.stage`). Activity kinds import this package; it imports no kind."""
