"""Rooms: an event's programme of a main room and the rooms its organiser adds, each
with its own stage, presenters and big screen, under one attendee identity."""
