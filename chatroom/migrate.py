"""Bring a database to the latest schema with Alembic (no alembic.ini needed)."""

from __future__ import annotations

from alembic import command
from alembic.config import Config as AlembicConfig

from chatroom.config import PACKAGE_ROOT


def alembic_config(database_url: str) -> AlembicConfig:
    config = AlembicConfig()
    config.set_main_option("script_location", str(PACKAGE_ROOT / "migrations"))
    # Alembic's ini interpolation treats % specially; URLs may contain escaped characters.
    config.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    return config


def upgrade(database_url: str, revision: str = "head") -> None:
    command.upgrade(alembic_config(database_url), revision)


def downgrade(database_url: str, revision: str) -> None:
    command.downgrade(alembic_config(database_url), revision)
