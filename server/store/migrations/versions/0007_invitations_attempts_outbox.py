"""assessment invitations (the attempts), public links, saved work, parts opened, the mail outbox

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-07
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def _id(name: str, **kw: bool) -> sa.Column[str]:
    return sa.Column(name, sa.String(length=32), nullable=kw.get("nullable", False))


def _at(name: str, nullable: bool = False) -> sa.Column[datetime]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def _org_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["org_id"], ["organizations.id"], name=op.f(f"fk_{table}_org_id_organizations"), ondelete="CASCADE"
    )


def _assessment_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["assessment_id"],
        ["assessments.id"],
        name=op.f(f"fk_{table}_assessment_id_assessments"),
        ondelete="CASCADE",
    )


def upgrade() -> None:
    op.create_table(
        "assessment_public_links",
        _id("id"),
        _id("org_id"),
        _id("assessment_id"),
        sa.Column("nonce", sa.String(length=32), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("labels", sa.Text(), nullable=False),
        sa.Column("time_limit_minutes", sa.Integer(), nullable=True),
        _id("created_by", nullable=True),
        _at("created_at"),
        _at("expires_at"),
        _at("revoked_at", True),
        _org_fk("assessment_public_links"),
        _assessment_fk("assessment_public_links"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_assessment_public_links")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_assessment_public_links_token_hash")),
    )
    op.create_table(
        "assessment_invitations",
        _id("id"),
        _id("org_id"),
        _id("assessment_id"),
        _id("assessment_version_id"),
        _id("public_link_id", nullable=True),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("labels", sa.Text(), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("nonce", sa.String(length=32), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("decision", sa.String(length=16), nullable=True),
        _id("decided_by", nullable=True),
        _id("created_by", nullable=True),
        _at("created_at"),
        _at("expires_at"),
        _at("window_start", True),
        _at("window_end", True),
        sa.Column("time_limit_minutes", sa.Integer(), nullable=True),
        _at("opened_at", True),
        _at("started_at", True),
        _at("deadline", True),
        _at("submitted_at", True),
        _id("session_id", nullable=True),
        sa.Column("score", sa.Float(), nullable=True),
        sa.Column("passed", sa.Boolean(), nullable=True),
        sa.Column("result", sa.Text(), nullable=True),
        _org_fk("assessment_invitations"),
        _assessment_fk("assessment_invitations"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_assessment_invitations")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_assessment_invitations_token_hash")),
    )
    op.create_index(
        "ix_assessment_invitations_assessment", "assessment_invitations", ["assessment_id", "created_at"]
    )
    op.create_table(
        "attempt_work",
        _id("invitation_id"),
        sa.Column("challenge", sa.String(length=64), nullable=False),
        sa.Column("language", sa.String(length=32), nullable=True),
        sa.Column("content", sa.Text(), nullable=False),
        _at("updated_at"),
        sa.ForeignKeyConstraint(
            ["invitation_id"],
            ["assessment_invitations.id"],
            name=op.f("fk_attempt_work_invitation_id_assessment_invitations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("invitation_id", "challenge", name=op.f("pk_attempt_work")),
    )
    op.create_table(
        "attempt_parts",
        _id("invitation_id"),
        sa.Column("challenge", sa.String(length=64), nullable=False),
        _at("opened_at"),
        sa.ForeignKeyConstraint(
            ["invitation_id"],
            ["assessment_invitations.id"],
            name=op.f("fk_attempt_parts_invitation_id_assessment_invitations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("invitation_id", "challenge", name=op.f("pk_attempt_parts")),
    )
    op.create_table(
        "mail_outbox",
        _id("id"),
        _id("org_id"),
        _id("invitation_id", nullable=True),
        sa.Column("recipient", sa.String(length=254), nullable=False),
        sa.Column("subject", sa.String(length=200), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=8), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        _at("next_attempt_at"),
        sa.Column("last_error", sa.Text(), nullable=False),
        _at("created_at"),
        _at("sent_at", True),
        _org_fk("mail_outbox"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mail_outbox")),
    )
    op.create_index("ix_mail_outbox_due", "mail_outbox", ["status", "next_attempt_at"])


def downgrade() -> None:
    op.drop_index("ix_mail_outbox_due", table_name="mail_outbox")
    op.drop_table("mail_outbox")
    op.drop_table("attempt_parts")
    op.drop_table("attempt_work")
    op.drop_index("ix_assessment_invitations_assessment", table_name="assessment_invitations")
    op.drop_table("assessment_invitations")
    op.drop_table("assessment_public_links")
