#!/usr/bin/env python3
"""retort benchmark baseline: the eight benchmark workloads on SQLAlchemy's ORM.

This is the code retort's users write today: SQLAlchemy 1.4 (Debian 12's python3-sqlalchemy
with its C extensions) used through the 2.0-style select() API, with models declared the
way Flask-SQLAlchemy code declares them (relationship(..., backref=...), an association
Table for the many-to-many). raw_sqlite.cpp beside this file runs the same SQL by hand.
Data, checksums and the output line follow the anchors spec (shared/bench/anchors/README.md
in the project's workspace).

    python3 sqlalchemy_orm.py WORKLOAD N [--no-index] [--null-pool] [--sql-log]

Every workload gets a new database file in a new temporary directory. Only the workload is
timed; setup and the checks that follow it are not.
"""

import argparse
import collections
import gc
import json
import sys
import tempfile
import time
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

import sqlalchemy
from sqlalchemy import Column, ForeignKey, Integer, String, Table, create_engine, event, select
from sqlalchemy.orm import Session, declarative_base, joinedload, relationship, selectinload
from sqlalchemy.pool import NullPool, QueuePool

# --------------------------------------------------------------------------------------------
# Test data as the spec defines it (raw_sqlite.cpp generates the same).

PETS_PER_OWNER = 10
CHANNEL_COUNT = 100
FOLLOWS_PER_USER = 10
GET_SEED = 42
FOLLOW_SEED = 7
_U64 = 0xFFFFFFFFFFFFFFFF


def splitmix64(seed):
    """SplitMix64 as an endless generator of 64-bit numbers."""
    state = seed & _U64
    while True:
        state = (state + 0x9E3779B97F4A7C15) & _U64
        z = ((state ^ (state >> 30)) * 0xBF58476D1CE4E5B9) & _U64
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & _U64
        yield z ^ (z >> 31)


def owner_label(i):
    return f"owner {i}"


def pet_label(i, j):
    return f"pet {i}.{j}"


def species_for(k):
    """Species of the pet at 0-based position k (id k + 1); None for every 7th pet."""
    if (k + 1) % 7 == 0:
        return None
    return ("cat", "dog", "parrot", "hamster")[k % 4]


def draw_follows(n):
    """Channel ids followed by users 1..n: one list per user, in the order drawn."""
    draw = splitmix64(FOLLOW_SEED)
    per_user = []
    for _ in range(n):
        picked = []
        while len(picked) < FOLLOWS_PER_USER:
            channel = 1 + next(draw) % CHANNEL_COUNT
            if channel not in picked:
                picked.append(channel)
        per_user.append(picked)
    return per_user


# --------------------------------------------------------------------------------------------
# Models, written as a Flask-SQLAlchemy application writes them. The foreign keys are
# indexed (index=True); --no-index takes those indexes out before the tables are created.

Model = declarative_base()

user_channel = Table(
    "user_channel",
    Model.metadata,
    Column("user_id", Integer, ForeignKey("user.id"), index=True),
    Column("channel_id", Integer, ForeignKey("channel.id"), index=True),
)


class Owner(Model):
    __tablename__ = "owner"

    id = Column(Integer, primary_key=True)
    name = Column(String(50), nullable=False)
    pets = relationship("Pet", backref="owner")

    def to_dict(self):
        return {"id": self.id, "name": self.name, "pets": [pet.to_dict() for pet in self.pets]}


class Pet(Model):
    __tablename__ = "pet"

    id = Column(Integer, primary_key=True)
    name = Column(String(50), nullable=False)
    species = Column(String(20))
    owner_id = Column(Integer, ForeignKey("owner.id"), index=True)

    def to_dict(self):
        return {"id": self.id, "name": self.name, "species": self.species, "owner_id": self.owner_id}


class User(Model):
    __tablename__ = "user"

    id = Column(Integer, primary_key=True)
    username = Column(String(50), unique=True, nullable=False)
    following = relationship("Channel", secondary=user_channel, backref="followers")


class Channel(Model):
    __tablename__ = "channel"

    id = Column(Integer, primary_key=True)
    title = Column(String(100))


def forget_foreign_key_indexes():
    """--no-index: the three index=True indexes are not created (the tables are unchanged)."""
    for table in Model.metadata.tables.values():
        table.indexes.clear()


# The spec's state digest over the final tables; a loaded graph digests to the same number
# (digest_owners). Per owner: id + name length. Per pet: owner_id*id + owner_id + name
# length + species length + code point of the name's last character.
STATE_DIGEST_SQL = (
    "SELECT ifnull((SELECT sum(id + length(name)) FROM owner), 0)"
    " + ifnull((SELECT sum(owner_id * id + owner_id + length(name) + ifnull(length(species), 0)"
    " + unicode(substr(name, -1))) FROM pet), 0)"
)


# --------------------------------------------------------------------------------------------
# Engine, statement tally and clock.


def _pragmas_on_connect(dbapi_connection, _connection_record):
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def open_engine(db_file, null_pool):
    # QueuePool keeps one connection open for the whole run, as 2.0 does for file databases;
    # NullPool (--null-pool, 1.4's default for files) connects anew for every Session.
    engine = create_engine(
        f"sqlite:///{db_file}", future=True, poolclass=NullPool if null_pool else QueuePool
    )
    event.listen(engine, "connect", _pragmas_on_connect)
    return engine


class SqlTally:
    """Counts what the timed part sends to the driver.

    calls: before_cursor_execute events. executions: the same, except that an executemany
    with k parameter sets counts k, since SQLite runs the prepared statement k times; that is
    the unit raw_sqlite.cpp counts. Transaction control never reaches this event.
    """

    def __init__(self, engine, keep_texts):
        self.recording = False
        self.calls = 0
        self.executions = 0
        self.texts = collections.Counter() if keep_texts else None
        event.listen(engine, "before_cursor_execute", self._on_execute)

    def _on_execute(self, _conn, _cursor, statement, parameters, _context, executemany):
        if not self.recording:
            return
        times = len(parameters) if executemany else 1
        self.calls += 1
        self.executions += times
        if self.texts is not None:
            self.texts[" ".join(statement.split())] += times

    def measure(self, work, *args):
        """Runs work(*args) as the timed part; returns (seconds, its result)."""
        self.calls = self.executions = 0
        if self.texts is not None:
            self.texts.clear()
        gc.collect()  # leave setup's garbage out of the measurement
        self.recording = True
        start = time.perf_counter()
        result = work(*args)
        seconds = time.perf_counter() - start
        self.recording = False
        return seconds, result


def scalar(engine, sql):
    with engine.connect() as conn:
        return conn.exec_driver_sql(sql).scalar()


def serve(engine, view, *args):
    """Runs view(session, *args) the way Flask runs a view function.

    Whatever the view loaded is released when it returns; the Session closes after that, as
    at app-context teardown. (Closing while the objects are still referenced would make
    close() expunge each of them, a cost a Flask app does not pay.)
    """
    with Session(engine) as session:
        return view(session, *args)


# --------------------------------------------------------------------------------------------
# Untimed setup: rows with explicit ids, through Core executemany.


def seed_owners(engine, n):
    owners = [{"id": i, "name": owner_label(i)} for i in range(1, n + 1)]
    pets = [
        {
            "id": k + 1,
            "name": pet_label(k // PETS_PER_OWNER + 1, k % PETS_PER_OWNER),
            "species": species_for(k),
            "owner_id": k // PETS_PER_OWNER + 1,
        }
        for k in range(n * PETS_PER_OWNER)
    ]
    with engine.begin() as conn:
        conn.execute(Owner.__table__.insert(), owners)
        conn.execute(Pet.__table__.insert(), pets)


def seed_users(engine, n):
    users = [{"id": i, "username": f"user{i}"} for i in range(1, n + 1)]
    channels = [{"id": c, "title": f"channel {c}"} for c in range(1, CHANNEL_COUNT + 1)]
    links = [
        {"user_id": user_id, "channel_id": channel_id}
        for user_id, picked in enumerate(draw_follows(n), start=1)
        for channel_id in picked
    ]
    with engine.begin() as conn:
        conn.execute(User.__table__.insert(), users)
        conn.execute(Channel.__table__.insert(), channels)
        conn.execute(user_channel.insert(), links)


# --------------------------------------------------------------------------------------------
# Views: what one request does inside its Session.


def digest_owners(owners):
    """Reads every column of every owner and pet once; returns (checksum, rows)."""
    checksum = rows = 0
    for owner in owners:
        oid = owner.id
        checksum += oid + len(owner.name)
        rows += 1
        for pet in owner.pets:
            name = pet.name
            checksum += oid * pet.id + pet.owner_id + len(name) + len(pet.species or "") + ord(name[-1])
            rows += 1
    return checksum, rows


def create_owners(session, plan):
    """plan: [(owner name, [(pet name, species), ...]), ...]"""
    session.add_all(
        [Owner(name=name, pets=[Pet(name=p, species=s) for p, s in pets]) for name, pets in plan]
    )
    session.commit()


def owner_digest(session, pk):
    owner = session.get(Owner, pk)
    return owner.id + len(owner.name)


def owners_lazy(session):
    # Pet lists load on first access (lazy='select'): one SELECT per owner in digest_owners.
    return digest_owners(session.execute(select(Owner)).scalars().all())


def owners_selectin(session):
    query = select(Owner).options(selectinload(Owner.pets))
    return digest_owners(session.execute(query).scalars().all())


def owners_joined(session):
    query = select(Owner).options(joinedload(Owner.pets))
    return digest_owners(session.execute(query).unique().scalars().all())


def follow_counts(session):
    users = session.execute(select(User).options(selectinload(User.following))).scalars().all()
    checksum = rows = 0
    seen = {}
    for user in users:
        uid = user.id
        checksum += uid + len(user.username)
        rows += 1
        for channel in user.following:
            checksum += uid * channel.id + len(channel.title)
            rows += 1
            seen[channel.id] = channel
    for channel_id in sorted(seen):
        count = len(seen[channel_id].followers)  # lazy: one SELECT per channel
        checksum += channel_id * count
        rows += count
    return checksum, rows


def mark_pets(session, n):
    for pet in session.execute(select(Pet).where(Pet.id <= n)).scalars().all():
        pet.name = pet.name + "!"
    session.commit()


def owners_as_json(session):
    owners = session.execute(select(Owner).options(selectinload(Owner.pets))).scalars().all()
    return json.dumps([owner.to_dict() for owner in owners])


# --------------------------------------------------------------------------------------------
# Workloads: setup, the timed part, then the numbers for the result line.


@dataclass
class Outcome:
    seconds: float
    rows: int
    checksum: int
    bytes: Optional[int] = None


def run_insert(engine, tally, n):
    plan = [
        (
            owner_label(i),
            [(pet_label(i, j), species_for((i - 1) * PETS_PER_OWNER + j)) for j in range(PETS_PER_OWNER)],
        )
        for i in range(1, n + 1)
    ]
    seconds, _ = tally.measure(serve, engine, create_owners, plan)
    rows = scalar(engine, "SELECT (SELECT count(*) FROM owner) + (SELECT count(*) FROM pet)")
    return Outcome(seconds, rows, scalar(engine, STATE_DIGEST_SQL))


def run_get_by_pk(engine, tally, n):
    seed_owners(engine, n)
    draw = splitmix64(GET_SEED)
    keys = [1 + next(draw) % n for _ in range(n)]

    def lookups():
        # Every lookup is its own request: a new Session, so an empty identity map.
        return sum(serve(engine, owner_digest, pk) for pk in keys)

    seconds, checksum = tally.measure(lookups)
    return Outcome(seconds, len(keys), checksum)


def owners_workload(view):
    def run(engine, tally, n):
        seed_owners(engine, n)
        seconds, (checksum, rows) = tally.measure(serve, engine, view)
        return Outcome(seconds, rows, checksum)

    return run


def run_m2m(engine, tally, n):
    seed_users(engine, n)
    seconds, (checksum, rows) = tally.measure(serve, engine, follow_counts)
    return Outcome(seconds, rows, checksum)


def run_update(engine, tally, n):
    seed_owners(engine, n)
    seconds, _ = tally.measure(serve, engine, mark_pets, n)
    rows = scalar(engine, "SELECT count(*) FROM pet WHERE name LIKE '%!'")
    return Outcome(seconds, rows, scalar(engine, STATE_DIGEST_SQL))


def run_to_dict(engine, tally, n):
    seed_owners(engine, n)
    seconds, text = tally.measure(serve, engine, owners_as_json)
    encoded = text.encode()
    decoded = json.loads(text)
    rows = len(decoded) + sum(len(owner["pets"]) for owner in decoded)
    return Outcome(seconds, rows, zlib.crc32(encoded), bytes=len(encoded))


WORKLOADS = {
    "insert": run_insert,
    "get_by_pk": run_get_by_pk,
    "lazy_n_plus_1": owners_workload(owners_lazy),
    "selectin": owners_workload(owners_selectin),
    "joined": owners_workload(owners_joined),
    "m2m": run_m2m,
    "update": run_update,
    "to_dict": run_to_dict,
}


# --------------------------------------------------------------------------------------------
# Driver.


def run_workload(name, n, null_pool, sql_log):
    with tempfile.TemporaryDirectory(prefix="retort-orm-baseline-") as scratch:
        engine = open_engine(Path(scratch) / "bench.db", null_pool)
        Model.metadata.create_all(engine)
        tally = SqlTally(engine, sql_log)
        outcome = WORKLOADS[name](engine, tally, n)
        engine.dispose()
    line = (
        f"workload={name} n={n} seconds={outcome.seconds:.6f} statements={tally.executions}"
        f" rows={outcome.rows} checksum={outcome.checksum} calls={tally.calls}"
    )
    if outcome.bytes is not None:
        line += f" bytes={outcome.bytes}"
    print(f"{line} impl=sqlalchemy-{sqlalchemy.__version__}", flush=True)
    if sql_log:
        for text in sorted(tally.texts):
            print(f"{tally.texts[text]}\t{text}", file=sys.stderr)


def positive_int(value):
    try:
        number = int(value)
    except ValueError:
        number = 0
    if number < 1:
        raise argparse.ArgumentTypeError(f"N must be a positive integer, got {value!r}")
    return number


def main(argv):
    parser = argparse.ArgumentParser(description="SQLAlchemy ORM baseline for retort's benchmark.")
    parser.add_argument("workload", choices=["all", *WORKLOADS])
    parser.add_argument("n", type=positive_int, metavar="N")
    parser.add_argument("--no-index", action="store_true", help="leave out the foreign-key indexes")
    parser.add_argument("--null-pool", action="store_true", help="NullPool: a new connection per Session")
    parser.add_argument("--sql-log", action="store_true", help="print the timed SQL with counts to stderr")
    args = parser.parse_args(argv)
    if args.no_index:
        forget_foreign_key_indexes()
    names = list(WORKLOADS) if args.workload == "all" else [args.workload]
    for name in names:
        run_workload(name, args.n, args.null_pool, args.sql_log)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
