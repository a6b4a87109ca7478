"""add users.is_admin

Revision ID: 0002_user_is_admin
Revises: 0001_initial
Create Date: 2024-04-18 16:40:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0002_user_is_admin"
down_revision = "0001_initial"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "users",
        sa.Column("is_admin", sa.Boolean(), nullable=False, server_default=sa.false()),
    )


def downgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.drop_column("is_admin")
