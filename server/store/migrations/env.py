"""Alembic environment: runs migrations on the connection handed over by ``server.store.migrate``."""

from __future__ import annotations

from alembic import context
from sqlalchemy.engine import Connection

import server.store.all_tables  # noqa: F401  (registers every table on Base.metadata)
from server.store.base import Base

target_metadata = Base.metadata


def run_migrations(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("run migrations through `duet migrate` (server.store.migrate)")
run_migrations(connection)
