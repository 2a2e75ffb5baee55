"""World café: small tables that talk for a round, then move to meet new people.
Installed by ``kind.KIND``; the seating engine is ``seating`` (pure rules, plain data in
and out); see docs/cafe.md."""
