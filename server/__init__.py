"""The university server: FastAPI, SQLAlchemy 2 (async), SQLite or PostgreSQL."""

__version__ = "0.1.0"
