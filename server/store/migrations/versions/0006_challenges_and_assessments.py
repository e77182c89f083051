"""hiring content: challenges and assessments with content-hashed versions

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def _owned(name: str) -> None:
    op.create_table(
        name,
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("org_id", sa.String(length=32), nullable=False),
        sa.Column("slug", sa.String(length=64), nullable=False),
        *([sa.Column("kind", sa.String(length=8), nullable=False)] if name == "challenges" else []),
        sa.Column("title", sa.String(length=120), nullable=False),
        sa.Column("current_version_id", sa.String(length=32), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["org_id"], ["organizations.id"], name=op.f(f"fk_{name}_org_id_organizations"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{name}")),
        sa.UniqueConstraint("org_id", "slug", name=f"uq_{name}_org_slug"),
    )


def upgrade() -> None:
    _owned("challenges")
    op.create_table(
        "challenge_versions",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("challenge_id", sa.String(length=32), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.Column("title", sa.String(length=120), nullable=False),
        sa.Column("files", sa.Text(), nullable=False),
        sa.Column("expected_tests", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["challenge_id"],
            ["challenges.id"],
            name=op.f("fk_challenge_versions_challenge_id_challenges"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_challenge_versions")),
        sa.UniqueConstraint("challenge_id", "number", name="uq_challenge_versions_number"),
        sa.UniqueConstraint("challenge_id", "content_hash", name="uq_challenge_versions_content_hash"),
    )
    _owned("assessments")
    op.create_table(
        "assessment_versions",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("assessment_id", sa.String(length=32), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.Column("definition", sa.Text(), nullable=False),
        sa.Column("challenge_versions", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["assessment_id"],
            ["assessments.id"],
            name=op.f("fk_assessment_versions_assessment_id_assessments"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_assessment_versions")),
        sa.UniqueConstraint("assessment_id", "number", name="uq_assessment_versions_number"),
        sa.UniqueConstraint("assessment_id", "content_hash", name="uq_assessment_versions_content_hash"),
    )


def downgrade() -> None:
    op.drop_table("assessment_versions")
    op.drop_table("assessments")
    op.drop_table("challenge_versions")
    op.drop_table("challenges")
