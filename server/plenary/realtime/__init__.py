"""Socket.IO transport: connection handling, the event router, rooms and fan-out."""
