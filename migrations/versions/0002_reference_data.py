"""Reference data: the district's areas and the 24-item catalog.

Revision ID: 0002
Revises: 0001
"""
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade():
    # Idempotent: inserts only what is absent, never overwrites an admin's edits.
    from assist.core import refdata
    refdata.load(op.get_bind())


def downgrade():
    pass
