"""The staff console (``kiosk staff``): login, the live board, sessions, students."""
