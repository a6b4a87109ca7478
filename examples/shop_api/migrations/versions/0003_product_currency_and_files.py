"""add products.currency and the stored_files table

Revision ID: 0003_product_currency_and_files
Revises: 0002_user_is_admin
Create Date: 2024-06-02 09:05:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0003_product_currency_and_files"
down_revision = "0002_user_is_admin"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("products", sa.Column("currency", sa.String(3), nullable=False))
    op.create_table(
        "stored_files",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("owner_id", sa.Integer(), sa.ForeignKey("users.id"), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("original_name", sa.String(255), nullable=False),
        sa.Column("stored_name", sa.String(255), nullable=False, unique=True),
        sa.Column("content_type", sa.String(100), nullable=False),
        sa.Column("size_bytes", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), server_default=sa.func.now(), nullable=False),
    )
    op.create_index("ix_stored_files_owner_id", "stored_files", ["owner_id"])


def downgrade() -> None:
    op.drop_index("ix_stored_files_owner_id", table_name="stored_files")
    op.drop_table("stored_files")
    with op.batch_alter_table("products") as batch:
        batch.drop_column("currency")
