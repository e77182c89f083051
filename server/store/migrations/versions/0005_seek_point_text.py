"""seek points keep their files as text and the text edits since the previous point

The points stored before are dropped: they are derived from the log and built again on the next
playback (with the new columns), rather than left to the slower path for ever.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("DELETE FROM recording_snapshots")
    with op.batch_alter_table("recording_snapshots") as batch:
        batch.add_column(sa.Column("files_text", sa.LargeBinary(), nullable=True))
        batch.add_column(sa.Column("edits", sa.LargeBinary(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("recording_snapshots") as batch:
        batch.drop_column("edits")
        batch.drop_column("files_text")
