"""Emoji reactions: attendees tap, the server adds taps up per short window and sends
the room's presenters and screens one total per window, however many tap. A room
feature beside whatever is on stage: it never takes the stage. Installed by
``kind.KIND``."""
