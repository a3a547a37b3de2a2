"""Schema: notifications (issue 11, ADR 0021): webhook subscribers, e-mail recipients per satker,
the delivery log with its stored retries, and the dispatcher's cursor into the outbox.

Revision ID: 0011
Revises: 0009
Create Date: 2026-12-02 20:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0011"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

S = sqlmodel.sql.sqltypes.AutoString


def upgrade() -> None:
    op.create_table(
        "webhook_subscriber",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", S(length=128), nullable=False),
        sa.Column("url", S(length=2048), nullable=False),
        sa.Column("event_types", sa.JSON(), nullable=False),
        sa.Column("secret", S(length=256), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", S(length=255), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_webhook_subscriber")),
    )
    op.create_table(
        "notify_recipient",
        sa.Column("satker_code", S(length=32), nullable=False),
        sa.Column("email", S(length=320), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_by", S(length=255), nullable=False),
        sa.ForeignKeyConstraint(["satker_code"], ["satker.code"], name=op.f("fk_notify_recipient_satker_code_satker")),
        sa.PrimaryKeyConstraint("satker_code", name=op.f("pk_notify_recipient")),
    )
    op.create_table(
        "delivery",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("key", S(length=255), nullable=False),
        sa.Column("channel", S(length=16), nullable=False),
        sa.Column("kind", S(length=64), nullable=False),
        sa.Column("event_id", sa.BigInteger(), nullable=True),
        sa.Column("subscriber_id", sa.Integer(), nullable=True),
        sa.Column("target", S(length=2048), nullable=False),
        sa.Column("subject", S(length=255), nullable=True),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("status", S(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_attempt_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("response_code", sa.Integer(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("delivered_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("status IN ('pending','delivered','failed')", name=op.f("ck_delivery_status")),
        sa.CheckConstraint("channel IN ('webhook','email')", name=op.f("ck_delivery_channel")),
        sa.ForeignKeyConstraint(
            ["subscriber_id"], ["webhook_subscriber.id"], name=op.f("fk_delivery_subscriber_id_webhook_subscriber")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_delivery")),
        sa.UniqueConstraint("key", name=op.f("uq_delivery_key")),
    )
    op.create_index("ix_delivery_due", "delivery", ["status", "next_attempt_at"], unique=False)
    op.create_table(
        "dispatch_cursor",
        sa.Column("name", S(length=32), nullable=False),
        sa.Column("after", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_dispatch_cursor")),
    )


def downgrade() -> None:
    op.drop_table("dispatch_cursor")
    op.drop_index("ix_delivery_due", table_name="delivery")
    op.drop_table("delivery")
    op.drop_table("notify_recipient")
    op.drop_table("webhook_subscriber")
