"""Persistence: SQLAlchemy 2 async models, repositories (every query lives there), Alembic migrations."""
