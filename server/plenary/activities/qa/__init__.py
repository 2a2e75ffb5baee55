"""Live Q&A: attendees ask and upvote, presenters moderate, highlight, answer and reply.
A room feature beside whatever is on stage: it never takes the stage. Installed by
``kind.KIND``."""
