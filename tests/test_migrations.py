"""Alembic: the migrations build exactly the models' schema, and go down and up again."""

from __future__ import annotations

from alembic import command

from models.migrate import alembic_config, upgrade


def test_migrations_match_the_models_and_round_trip(engine):
    url = engine.url.render_as_string(hide_password=False)
    cfg = alembic_config(url)
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.check(cfg)  # raises if the models and the migrations disagree
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "base")
    upgrade(engine)
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.check(cfg)
