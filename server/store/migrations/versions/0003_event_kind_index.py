"""a partial index over the events that are neither edits nor cursor moves (the control
channel's history reads a session's last few of them)

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

SPARSE_KINDS = "kind <> 'doc.update' AND kind <> 'awareness'"


def upgrade() -> None:
    op.create_index(
        "ix_session_events_sparse",
        "session_events",
        ["session_id", "id"],
        unique=False,
        sqlite_where=sa.text(SPARSE_KINDS),
        postgresql_where=sa.text(SPARSE_KINDS),
    )


def downgrade() -> None:
    op.drop_index("ix_session_events_sparse", table_name="session_events")
