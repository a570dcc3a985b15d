"""``GET /api/roulette/state`` with valid Extension JWTs against a hello-world aiohttp handler.

Starts PostgreSQL (embedded by default), fills the pool with 10,000 viewers,
then interleaves, in rounds, N keep-alive clients (one viewer token each)
against:

* **state**: one ``mgm serve`` process (JWT check, rate limiter with a budget
  too large to refuse, one SQL round trip, JSON answer);
* **state x2**: the same load split over two replicas on the same database;
* **hello**: a separate process serving ``GET /`` → ``Hello, world`` with
  aiohttp on the same event loop kind as the EBS (uvloop when installed).

Prints medians over the rounds and, on the last line, the product's figure,
the baseline's and the median of the per-round ratios.

Usage: python -m bench.state [--clients 32] [--seconds 2] [--rounds 5] [--backend embedded|external]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from datetime import UTC, datetime

import asyncpg

from bench.harness import (
    EXTERNAL_DEFAULT,
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
from mgm_core.config import DEV_EXTENSION_KEY
from mgm_core.security import extension_jwt

POOL_ROWS = 10_000
COLUMNS = ["twitch_user_id", "twitch_display_name", "character_name", "character_name_key", "slot", "source"]
COLUMNS.append("enrolled_at")

HELLO = """
import asyncio, sys
from aiohttp import web
from mgm_core.serving import event_loop_factory

async def hello(request):
    return web.Response(text="Hello, world")

async def health(request):
    return web.Response(text="ok")

app = web.Application()
app.router.add_get("/", hello)
app.router.add_get("/health", health)
with asyncio.Runner(loop_factory=event_loop_factory()) as runner:
    loop = runner.get_loop()
    web.run_app(app, host="127.0.0.1", port=int(sys.argv[1]), print=None, access_log=None, loop=loop)
"""


async def fill(dsn: str) -> None:
    conn = await asyncpg.connect(dsn)
    now = datetime.now(UTC)
    try:
        await conn.copy_records_to_table(
            "pool_entries",
            columns=COLUMNS,
            records=((f"u{i}", f"V{i}", f"N{i}", f"n{i}", i, "chat", now) for i in range(POOL_ROWS)),
        )
        await conn.execute("UPDATE pool_state SET size = $1", POOL_ROWS)
    finally:
        await conn.close()


async def phase(ports: list[int], raw: list[bytes], expect: int, clients: int, seconds: float) -> Run:
    connections = [await HttpConnection.open(ports[i % len(ports)]) for i in range(clients)]

    async def one(client: int) -> bool:
        return await connections[client].send(raw[client]) == expect

    try:
        return await drive(clients, seconds, one)
    finally:
        for connection in connections:
            connection.close()


async def bench(
    ebs: list[int], hello: int, clients: int, seconds: float, rounds: int
) -> dict[str, list[Run]]:
    now = datetime.now(UTC)
    state = [
        request(
            "GET",
            "/api/roulette/state",
            {
                "Authorization": "Bearer "
                + extension_jwt.mint(extension_jwt.viewer_claims(f"u{i}", now), DEV_EXTENSION_KEY)
            },
        )
        for i in range(clients)
    ]
    greet = [request("GET", "/", {})] * clients
    kinds = {
        "state": (ebs[:1], state),
        "state x2": (ebs, state),
        "hello": ([hello], greet),
    }
    runs: dict[str, list[Run]] = {kind: [] for kind in kinds}
    await phase(ebs, state, 200, clients, 0.5)  # warm-up: statements prepared, tokens cached
    await phase([hello], greet, 200, clients, 0.5)
    for r in range(rounds):
        order = list(kinds) if r % 2 == 0 else list(kinds)[::-1]
        for kind in order:
            ports, raw = kinds[kind]
            runs[kind].append(await phase(ports, raw, 200, clients, seconds))
    return runs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--seconds", type=float, default=2.0)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--backend", default="embedded", choices=["embedded", "external"])
    parser.add_argument("--external", default=os.environ.get("MGM_TEST_DATABASE_URL", EXTERNAL_DEFAULT))
    args = parser.parse_args()
    print(f"before: {machine_load()}")
    with database_on(args.backend, args.external) as dsn:
        asyncio.run(fill(dsn))
        ports = [free_port(), free_port(), free_port()]
        commands = [ebs_command(dsn, port, MGM_RATE_LIMIT="1000000000/60") for port in ports[:2]]
        commands.append(([sys.executable, "-c", HELLO, str(ports[2])], {}, ports[2]))
        with processes(commands):
            runs = asyncio.run(bench(ports[:2], ports[2], args.clients, args.seconds, args.rounds))
    errors = {kind: sum(run.errors for run in kind_runs) for kind, kind_runs in runs.items()}
    for kind, kind_runs in runs.items():
        rates = [round(run.rate) for run in kind_runs]
        p99 = median([run.p(0.99) for run in kind_runs])
        rate = median([run.rate for run in kind_runs])
        print(f"{kind:>8}: median {rate:,.0f} req/s {rates}, p99 {p99:.1f} ms")
    if any(errors.values()):
        raise SystemExit(f"answers other than 200: {errors}")
    state, hello = runs["state"], runs["hello"]
    ratio = median([s.rate / h.rate for s, h in zip(state, hello, strict=True)])
    print(
        f"after: {machine_load()}; {args.clients} clients, {args.backend} PostgreSQL, {POOL_ROWS:,} pool rows"
    )
    print(
        f"state {median([run.rate for run in state]):,.0f} req/s vs hello-world "
        f"{median([run.rate for run in hello]):,.0f} req/s = {ratio:.2f}x (median of per-round ratios)"
    )


if __name__ == "__main__":
    main()
