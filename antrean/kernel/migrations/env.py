from alembic import context

from antrean.kernel.models import Base

config = context.config
engine = config.attributes.get("engine")
if engine is None:
    from sqlalchemy import create_engine

    engine = create_engine(config.get_main_option("sqlalchemy.url"))

with engine.connect() as connection:
    sqlite = connection.dialect.name == "sqlite"
    raw = connection.connection.driver_connection if sqlite else None
    if sqlite:
        # batch migrations copy and drop tables that other tables reference: SQLite must not check foreign
        # keys meanwhile (the pragma only works outside a transaction: set it on the raw connection first)
        raw.execute("PRAGMA foreign_keys=OFF")
    try:
        context.configure(connection=connection, target_metadata=Base.metadata, render_as_batch=sqlite)
        with context.begin_transaction():
            context.run_migrations()
        connection.commit()
    finally:
        if sqlite:
            raw.execute("PRAGMA foreign_keys=ON")
