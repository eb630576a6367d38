"""Alembic environment: runs online against the URL set by chatroom.migrate."""

from __future__ import annotations

from alembic import context

from chatroom.extensions import make_engine
from chatroom.models import Base, described_by_models

target_metadata = Base.metadata


def run_migrations_online() -> None:
    url = context.config.get_main_option("sqlalchemy.url")
    assert url, "chatroom.migrate sets sqlalchemy.url"
    engine = make_engine(url)
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            render_as_batch=connection.dialect.name == "sqlite",
            compare_type=True,
            # Autogenerate must leave the search engine's objects alone (chatroom/models.py).
            include_name=described_by_models,
        )
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


run_migrations_online()
