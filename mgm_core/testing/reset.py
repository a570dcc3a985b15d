"""Put a used test database back to its template's state in one statement batch.

On a durable server a clone costs hundreds of milliseconds (``CREATE DATABASE`` writes
and syncs a whole database); emptying a reused one is cheaper. :func:`plan_reset` reads
the migrated template's catalog once and returns a :class:`ResetPlan` whose
:attr:`~ResetPlan.script` is sent as one simple query (one round trip) and, in one
transaction:

1. ends every other connection to the database (what a test left open, holding locks);
2. checks the schema against the template's fingerprint (relations, columns, defaults,
   constraints, functions, triggers, types, enum labels, schemas, extensions, database
   settings) and fails with SQLSTATE ``MGM01`` when a test changed it: a reset cannot
   undo DDL, so the caller replaces such a database with a fresh clone;
3. empties every table of the template: ``DELETE`` (children before parents) for the
   small ones a test leaves, ``TRUNCATE … RESTART IDENTITY CASCADE`` for a table over
   ``TRUNCATE_FROM_BYTES`` (decided in the batch) and for tables ``DELETE`` cannot empty
   in order (foreign-key cycles) or would fire triggers on. On a durable server a
   ``TRUNCATE`` costs ~20 ms per table (new files for the table and its indexes), a
   ``DELETE`` of a few rows well under one: the measured batch is 218 ms with ``TRUNCATE``
   of the ten tables and ~5 ms with ``DELETE`` (bench/README.md);
4. puts back the rows the migrations left in the template (``schema_migrations``,
   singletons such as ``pool_state``), copied from the template, not written by hand;
5. sets every sequence to the template's ``last_value``/``is_called``;
6. removes large objects.

Tables, seed rows and sequences come from the catalog when the template is made, so a
new migration's tables and seed rows are covered without anyone listing them.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import asyncpg

# The SQLSTATE the reset raises when the schema no longer matches the template's.
SCHEMA_CHANGED = "MGM01"

# Namespaces that belong to the server, not the application.
_USER_NAMESPACE = (
    "n.nspname NOT IN ('pg_catalog', 'information_schema')"
    " AND n.nspname NOT LIKE 'pg\\_toast%' AND n.nspname NOT LIKE 'pg\\_temp\\_%'"
)

# Everything a test could change with DDL that a TRUNCATE would not undo, as one digest.
FINGERPRINT_SQL = f"""
SELECT md5(coalesce(string_agg(x, E'\\n' ORDER BY x), '')) FROM (
  SELECT 'rel ' || c.oid::regclass::text || ' ' || c.relkind::text || ' ' || c.relpersistence::text
    FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE {_USER_NAMESPACE}
  UNION ALL
  SELECT 'col ' || a.attrelid::regclass::text || '.' || a.attname || ' '
         || format_type(a.atttypid, a.atttypmod) || ' ' || a.attnotnull::text || ' '
         || coalesce(pg_get_expr(d.adbin, d.adrelid), '')
    FROM pg_attribute a
    JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace
    LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
    WHERE a.attnum > 0 AND NOT a.attisdropped AND {_USER_NAMESPACE}
  UNION ALL
  SELECT 'con ' || co.conrelid::regclass::text || ' ' || co.conname || ' ' || pg_get_constraintdef(co.oid)
    FROM pg_constraint co JOIN pg_namespace n ON n.oid = co.connamespace WHERE {_USER_NAMESPACE}
  UNION ALL
  SELECT 'fn ' || p.oid::regprocedure::text || ' ' || md5(p.prosrc)
    FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace WHERE {_USER_NAMESPACE}
  UNION ALL
  SELECT 'trg ' || t.tgrelid::regclass::text || ' ' || t.tgname || ' ' || t.tgenabled::text
    FROM pg_trigger t WHERE NOT t.tgisinternal
  UNION ALL
  SELECT 'type ' || t.oid::regtype::text
    FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace WHERE {_USER_NAMESPACE}
  UNION ALL
  SELECT 'enum ' || e.enumtypid::regtype::text || ' ' || e.enumlabel FROM pg_enum e
  UNION ALL
  SELECT 'ns ' || n.nspname FROM pg_namespace n WHERE {_USER_NAMESPACE}
  UNION ALL
  SELECT 'ext ' || extname || ' ' || extversion FROM pg_extension
  UNION ALL
  SELECT 'set ' || s.setrole::text || ' ' || array_to_string(s.setconfig, ',')
    FROM pg_db_role_setting s JOIN pg_database db ON db.oid = s.setdatabase
    WHERE db.datname = current_database()
) AS schema_objects(x)
"""

_TABLES_SQL = f"""
SELECT c.oid, c.oid::regclass::text AS name, c.relkind::text AS relkind
  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
 WHERE c.relkind IN ('r', 'p') AND {_USER_NAMESPACE}
   AND NOT EXISTS (SELECT 1 FROM pg_depend d
                    WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype = 'e')
 ORDER BY 2
"""

_SEQUENCES_SQL = f"""
SELECT c.oid::regclass::text AS name
  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
 WHERE c.relkind = 'S' AND {_USER_NAMESPACE}
 ORDER BY 1
"""


def _literal(text: str) -> str:
    """A SQL string literal (the reset connection runs with standard_conforming_strings on)."""
    return "'" + text.replace("'", "''") + "'"


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


@dataclass(frozen=True)
class ResetPlan:
    """What :func:`plan_reset` read from a template, and the batch that restores it."""

    tables: tuple[str, ...]
    seeded: tuple[str, ...]
    sequences: tuple[str, ...]
    fingerprint: str
    script: str

    @property
    def digest(self) -> str:
        """A short name for this plan (for logs)."""
        return hashlib.sha256(self.script.encode()).hexdigest()[:12]


# A table at least this big at reset time is truncated rather than deleted from.
TRUNCATE_FROM_BYTES = 1024 * 1024


def _parents_first(tables: list[str], refs: list[tuple[str, str]]) -> tuple[list[str], list[str]]:
    """``tables`` ordered so that a table comes after every table it references, and those in cycles."""
    ordered: list[str] = []
    remaining = list(tables)
    while remaining:
        ready = [t for t in remaining if not any(c == t and p in remaining and p != t for c, p in refs)]
        if not ready:  # a cycle of foreign keys: no order works for these
            return ordered, remaining
        ordered += ready
        remaining = [t for t in remaining if t not in ready]
    return ordered, []


async def plan_reset(conn: asyncpg.Connection) -> ResetPlan:
    """Read the (freshly migrated) database ``conn`` is on and build its reset batch."""
    tables = await conn.fetch(_TABLES_SQL)
    names = [r["name"] for r in tables]
    refs = [
        (r["child"], r["parent"])
        for r in await conn.fetch(
            "SELECT conrelid::regclass::text AS child, confrelid::regclass::text AS parent"
            " FROM pg_constraint WHERE contype = 'f'"
        )
    ]
    ordered, cyclic = _parents_first(names, refs)
    triggered = {
        r["name"]
        for r in await conn.fetch(
            "SELECT DISTINCT tgrelid::regclass::text AS name FROM pg_trigger WHERE NOT tgisinternal"
        )
    }
    truncated = sorted(set(cyclic) | (triggered & set(names)))
    deleted = [t for t in reversed(ordered) if t not in truncated]
    inserts: list[str] = []
    seeded: list[str] = []
    by_name = {r["name"]: r for r in tables}
    for name in ordered + cyclic:
        if by_name[name]["relkind"] != "r":  # a partitioned parent holds no rows itself
            continue
        rows = await conn.fetchval(f"SELECT coalesce(jsonb_agg(to_jsonb(t)), '[]')::text FROM ONLY {name} t")
        if rows == "[]":
            continue
        columns = [
            r["attname"]
            for r in await conn.fetch(
                "SELECT attname FROM pg_attribute WHERE attrelid = $1 AND attnum > 0"
                " AND NOT attisdropped AND attgenerated = '' ORDER BY attnum",
                by_name[name]["oid"],
            )
        ]
        listed = ", ".join(_ident(c) for c in columns)
        inserts.append(
            f"INSERT INTO {name} ({listed}) OVERRIDING SYSTEM VALUE"
            f" SELECT {listed} FROM jsonb_populate_recordset(NULL::{name}, {_literal(rows)});"
        )
        seeded.append(name)
    sequences = [r["name"] for r in await conn.fetch(_SEQUENCES_SQL)]
    setvals = []
    for name in sequences:
        row = await conn.fetchrow(f"SELECT last_value, is_called FROM {name}")
        assert row is not None
        called = "true" if row["is_called"] else "false"
        setvals.append(f"setval({_literal(name)}::regclass, {row['last_value']}, {called})")
    fingerprint = await conn.fetchval(FINGERPRINT_SQL)
    parts = [
        "BEGIN;",
        "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
        " WHERE datname = current_database() AND pid <> pg_backend_pid();",
        # A test's DDL is beyond a reset: say so, and the caller clones instead.
        "DO $mgm_reset$ BEGIN"
        f" IF ({FINGERPRINT_SQL}) IS DISTINCT FROM {_literal(fingerprint)} THEN"
        f" RAISE EXCEPTION 'the schema differs from the template''s' USING ERRCODE = '{SCHEMA_CHANGED}';"
        " END IF; END $mgm_reset$;",
    ]
    if names:
        # Big tables go by TRUNCATE (decided now, by their size); CASCADE takes their children too.
        listed = ", ".join(_literal(t) for t in names)
        parts.append(
            "DO $mgm_reset$ DECLARE big text; BEGIN"
            f" SELECT string_agg(t, ', ') INTO big FROM unnest(ARRAY[{listed}]) AS t"
            f" WHERE pg_relation_size(t::regclass) >= {TRUNCATE_FROM_BYTES};"
            " IF big IS NOT NULL THEN EXECUTE 'TRUNCATE ' || big || ' RESTART IDENTITY CASCADE'; END IF;"
            " END $mgm_reset$;"
        )
    if truncated:
        parts.append(f"TRUNCATE {', '.join(truncated)} RESTART IDENTITY CASCADE;")
    parts += [f"DELETE FROM {t};" for t in deleted]
    parts += inserts
    if setvals:
        parts.append(f"SELECT {', '.join(setvals)};")
    parts += ["SELECT count(lo_unlink(oid)) FROM pg_largeobject_metadata;", "COMMIT;"]
    return ResetPlan(tuple(names), tuple(seeded), tuple(sequences), fingerprint, "\n".join(parts))


# Startup settings of a reset connection: literals in the batch assume standard strings;
# a lock a terminated backend is slow to release, or a prepared transaction, must not hang us.
RESET_SERVER_SETTINGS = {"standard_conforming_strings": "on", "lock_timeout": "30s"}


async def reset(dsn: str, plan: ResetPlan) -> None:
    """Connect to ``dsn`` and run ``plan``'s batch: one round trip after the handshake."""
    conn = await asyncpg.connect(dsn, server_settings=RESET_SERVER_SETTINGS)
    try:
        await conn.execute(plan.script)
    finally:
        await conn.close()


def schema_changed(exc: BaseException) -> bool:
    """Whether ``exc`` is the reset's refusal because a test changed the schema."""
    return isinstance(exc, asyncpg.PostgresError) and getattr(exc, "sqlstate", None) == SCHEMA_CHANGED
