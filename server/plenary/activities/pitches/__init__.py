"""Pitch sessions: an ordered list of pitches, the one on now pushed to everyone with an
optional timer; attendees rate pitches (1 to 5 stars) and leave feedback, jurors score
them per criterion. Installed by ``kind.KIND``."""
