"""EventSub enrollments through the EBS against a bare asyncpg client doing the same transaction.

For each PostgreSQL (the embedded one started here, and an external server)
and each client count (1, 8, 64), interleaved in rounds:

* **bare**: N asyncpg connections, each looping ``BEGIN; INSERT`` both dedupe
  ids ``; INSERT … ON CONFLICT DO UPDATE`` the pool row ``; COMMIT``;
* **ebs**: N keep-alive HTTP clients posting signed ``channel.chat.message``
  notifications (``!twgold <name>``, a fresh viewer and name each) to one
  ``mgm serve`` process (HMAC check, JSON, rules, logging — the whole path);
* **ebs x2**: the same load on one port served by two ``mgm serve --reuse-port``
  processes (replicas on one host; the kernel spreads the connections).

The notifications of a phase are built and signed before it starts: signing is
Twitch's work, not the EBS's, and the bare client builds nothing comparable. The
timed load generator only writes prepared bytes and reads the answer, as the
bare client only runs asyncpg's protocol. Besides the rates, each phase records
the CPU spent per operation by the load generator (this process), the EBS
processes and the PostgreSQL backends of the bench's database: on a shared
machine the rates swing with the neighbours' load, the CPU per operation much less.

Every enrollment must answer 204 and every viewer must end up in the pool
(checked at the end). Prints medians over the rounds, the EBS p99, and on the
last line the product's figure, the baseline's and the ratio.

Usage: python -m bench.ingest [--clients 1,8,64] [--seconds 3] [--rounds 3]
       [--backends embedded,external] [--external DSN] [--no-x2]
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import os
from datetime import UTC, datetime

import asyncpg

from bench.harness import (
    EVENTSUB_SECRET,
    EXTERNAL_DEFAULT,
    CpuMeter,
    HttpConnection,
    Run,
    database_on,
    drive,
    ebs_command,
    free_port,
    machine_load,
    median,
    processes,
    request,
)
from mgm_core.security import eventsub

DEDUPE = (
    "INSERT INTO chat_deliveries_seen (kind, id, seen_at) VALUES ('delivery', $1, $3), ('message', $2, $3)"
    " ON CONFLICT DO NOTHING"
)
UPSERT = """
    INSERT INTO pool_entries
        (twitch_user_id, twitch_display_name, character_name, character_name_key, source, enrolled_at)
    VALUES ($1, $2, $3, $4, 'chat', $5)
    ON CONFLICT (twitch_user_id) DO UPDATE
       SET twitch_display_name = EXCLUDED.twitch_display_name, character_name = EXCLUDED.character_name,
           character_name_key = EXCLUDED.character_name_key, enrolled_at = EXCLUDED.enrolled_at
"""


def letters(n: int) -> str:
    out = ""
    while True:
        n, digit = divmod(n, 26)
        out += chr(97 + digit)
        if n == 0:
            return out


# Notifications signed ahead per second of a phase (more than the EBS does); past them, signed live.
PREPARED_PER_SECOND = 8000


class Ingest:
    def __init__(self, dsn: str, single: tuple[int, int], shared: tuple[int, list[int]]) -> None:
        """``single``: (port, pid) of one ``mgm serve``; ``shared``: (port, pids) of the reuse-port pair."""
        self.dsn, self.single, self.shared = dsn, single, shared
        self.serial = itertools.count()
        self.sent_by_ebs = 0

    def _viewer(self, tag: str) -> tuple[str, str]:
        n = next(self.serial)
        return f"{tag}{n}", f"{tag.upper()}{letters(n)}"  # a fresh viewer id and a name of letters

    async def bare(self, clients: int, seconds: float) -> Run:
        connections = [await asyncpg.connect(self.dsn) for _ in range(clients)]

        async def one(client: int) -> bool:
            user, name = self._viewer("b")
            now = datetime.now(UTC)
            conn = connections[client]
            async with conn.transaction():
                await conn.execute(DEDUPE, f"d-{user}", f"m-{user}", now)
                await conn.execute(UPSERT, user, user, name, name.lower(), now)
            return True

        try:
            return await drive(clients, seconds, one, CpuMeter(self.dsn, []))
        finally:
            for conn in connections:
                await conn.close()

    def _notification(self) -> bytes:
        user, name = self._viewer("e")
        message_id = f"m-{user}"
        body = json.dumps(
            {
                "subscription": {"id": "bench", "type": "channel.chat.message", "version": "1"},
                "event": {
                    "broadcaster_user_id": "1000",
                    "chatter_user_id": user,
                    "chatter_user_login": user,
                    "chatter_user_name": user,
                    "message_id": message_id,
                    "message": {"text": f"!twgold {name}"},
                    "badges": [{"set_id": "subscriber", "id": "1", "info": ""}],
                },
            }
        ).encode()
        stamp = eventsub.format_timestamp(datetime.now(UTC))
        headers = {
            "Content-Type": "application/json",
            eventsub.HEADER_MESSAGE_ID: f"d-{user}",
            eventsub.HEADER_TIMESTAMP: stamp,
            eventsub.HEADER_MESSAGE_TYPE: "notification",
            eventsub.HEADER_SIGNATURE: eventsub.signature(EVENTSUB_SECRET, f"d-{user}", stamp, body),
        }
        return request("POST", "/api/twitch/eventsub", headers, body)

    async def ebs(self, clients: int, seconds: float, replicas: int) -> Run:
        port, pids = (self.single[0], [self.single[1]]) if replicas == 1 else self.shared
        connections = [await HttpConnection.open(port) for _ in range(clients)]
        prepared = iter([self._notification() for _ in range(int(seconds * PREPARED_PER_SECOND))])

        async def one(client: int) -> bool:
            self.sent_by_ebs += 1
            raw = next(prepared, None) or self._notification()
            return await connections[client].send(raw) == 204

        try:
            return await drive(clients, seconds, one, CpuMeter(self.dsn, pids))
        finally:
            for connection in connections:
                connection.close()


async def bench_backend(
    backend: str,
    dsn: str,
    pids: list[int],
    ports: list[int],
    counts: list[int],
    seconds: float,
    rounds: int,
    x2: bool,
) -> dict[int, dict[str, list[Run]]]:
    ingest = Ingest(dsn, (ports[0], pids[0]), (ports[1], pids[1:]))
    results: dict[int, dict[str, list[Run]]] = {}
    for clients in counts:
        runs: dict[str, list[Run]] = {"bare": [], "ebs": [], "ebs x2": []}
        for r in range(rounds):
            order = ["bare", "ebs", "ebs x2"] if x2 else ["bare", "ebs"]
            for kind in order if r % 2 == 0 else order[::-1]:
                if kind == "bare":
                    runs[kind].append(await ingest.bare(clients, seconds))
                else:
                    runs[kind].append(await ingest.ebs(clients, seconds, 2 if kind == "ebs x2" else 1))
        results[clients] = runs
        report(backend, clients, runs)
    conn = await asyncpg.connect(dsn)
    try:
        enrolled = await conn.fetchval("SELECT count(*) FROM pool_entries WHERE twitch_user_id LIKE 'e%'")
    finally:
        await conn.close()
    errors = sum(run.errors for runs in results.values() for kind in ("ebs", "ebs x2") for run in runs[kind])
    print(f"[{backend}] check: {ingest.sent_by_ebs} enrollments sent, {errors} not 204, {enrolled} pool rows")
    if errors or enrolled != ingest.sent_by_ebs:
        raise SystemExit(f"[{backend}] enrollments were lost or refused")
    return results


def report(backend: str, clients: int, runs: dict[str, list[Run]]) -> None:
    bare = median([run.rate for run in runs["bare"]])
    line = f"[{backend}] {clients:>2} clients: bare {bare:,.0f} tx/s"
    for kind in [kind for kind in ("ebs", "ebs x2") if runs[kind]]:
        rate = median([run.rate for run in runs[kind]])
        p99 = median([run.p(0.99) for run in runs[kind]])
        line += f" | {kind} {rate:,.0f} tx/s ({rate / bare:.2f}x, p99 {p99:.1f} ms)"
    print(line, flush=True)
    cpu = f"[{backend}] {clients:>2} clients: CPU µs/op (load generator / EBS / PostgreSQL backends)"
    for kind in [kind for kind in ("bare", "ebs", "ebs x2") if runs[kind]]:
        parts = [
            median([run.cpu_per_op(party) for run in runs[kind]]) for party in ("client", "ebs", "postgres")
        ]
        cpu += f" | {kind} {parts[0]:.0f} / {parts[1]:.0f} / {parts[2]:.0f}"
    print(cpu, flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", default="1,8,64")
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--backends", default="embedded,external")
    parser.add_argument("--external", default=os.environ.get("MGM_TEST_DATABASE_URL", EXTERNAL_DEFAULT))
    parser.add_argument(
        "--x2", action=argparse.BooleanOptionalAction, default=True, help="also two reuse-port processes"
    )
    args = parser.parse_args()
    counts = [int(c) for c in args.clients.split(",")]
    print(f"before: {machine_load()}")
    summary = []
    for backend in args.backends.split(","):
        with database_on(backend, args.external) as dsn:
            ports = [free_port(), free_port()]
            commands = [ebs_command(dsn, ports[0])]
            commands += [ebs_command(dsn, ports[1], reuse_port=True)] * (2 if args.x2 else 0)
            with processes(commands) as pids:
                results = asyncio.run(
                    bench_backend(backend, dsn, pids, ports, counts, args.seconds, args.rounds, args.x2)
                )
        for clients in counts:
            if clients == 1:
                continue
            runs = results[clients]
            bare = median([run.rate for run in runs["bare"]])
            ebs = median([run.rate for run in runs["ebs"]])
            p99 = median([run.p(0.99) for run in runs["ebs"]])
            cpu = median([run.cpu_per_op("ebs") for run in runs["ebs"]])
            summary.append(
                f"{backend} {clients}c: ebs {ebs:,.0f} vs bare {bare:,.0f} tx/s = {ebs / bare:.2f}x"
                f" (p99 {p99:.1f} ms, EBS CPU {cpu:.0f} µs/op)"
            )
    print(f"after: {machine_load()}")
    print("ingest " + "; ".join(summary))


if __name__ == "__main__":
    main()
