"""Alembic environment: runs on the connection that comments_service.db.upgrade hands over."""

from __future__ import annotations

from alembic import context

from comments_service.models import Base

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("run migrations through comments_service.db.upgrade (or `cluetrain serve`)")

context.configure(connection=connection, target_metadata=Base.metadata, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
