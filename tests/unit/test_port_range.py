"""MGM_PORTS / mgm e2e --ports: parsing, per-worker slices, allocation that skips taken ports."""

import socket
from contextlib import closing

import pytest
from aiohttp import web

from mgm_core.port_range import PortAllocator, PortRange, PortRangeExhausted, port_for, worker_range
from mgm_core.serving import BackgroundServer, ListenError


def listening_socket() -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    sock.listen()
    return sock


def test_parse():
    assert PortRange.parse("24000-24999") == PortRange(24000, 24999)
    assert PortRange.parse(" 24000 - 24000 ") == PortRange(24000, 24000)
    assert len(PortRange.parse("24000-24999")) == 1000
    assert str(PortRange.parse("24000-24999")) == "24000-24999"


BAD_RANGES = ["", "24000", "24000-", "a-b", "24999-24000", "0-10", "65000-65536", "1-2-3"]


@pytest.mark.parametrize("text", BAD_RANGES)
def test_parse_refuses(text):
    with pytest.raises(ValueError, match="port range"):
        PortRange.parse(text)


@pytest.mark.parametrize("count", [1, 2, 3, 7])
def test_worker_slices_are_disjoint_and_cover_the_range(count):
    ports = PortRange(24000, 24099)
    slices = [
        worker_range(ports, {"PYTEST_XDIST_WORKER": f"gw{i}", "PYTEST_XDIST_WORKER_COUNT": str(count)})
        for i in range(count)
    ]
    owned = [set(range(s.first, s.last + 1)) for s in slices]
    assert set().union(*owned) == set(range(24000, 24100))
    assert sum(len(o) for o in owned) == 100


def test_without_xdist_the_process_owns_the_whole_range():
    assert worker_range(PortRange(24000, 24099), {}) == PortRange(24000, 24099)


THREE_WORKERS_FIRST = {"PYTEST_XDIST_WORKER": "gw0", "PYTEST_XDIST_WORKER_COUNT": "3"}


def test_more_workers_than_ports_is_refused():
    with pytest.raises(ValueError, match="fewer ports"):
        worker_range(PortRange(24000, 24001), THREE_WORKERS_FIRST)


def test_a_taken_port_is_skipped_and_a_full_range_says_so():
    with closing(listening_socket()) as held:
        port = held.getsockname()[1]
        with pytest.raises(PortRangeExhausted, match=f"MGM_PORTS={port}-{port}"):
            PortAllocator(PortRange(port, port)).take()
    assert PortAllocator(PortRange(port, port)).take() == port


def test_port_for_keeps_explicit_ports_and_ephemeral_without_a_range():
    assert port_for(8080, {"MGM_PORTS": "24000-24999"}) == 8080
    assert port_for(0, {}) == 0
    with pytest.raises(ValueError, match="MGM_PORTS"):
        port_for(0, {"MGM_PORTS": "nonsense"})


def test_servers_on_port_0_listen_inside_mgm_ports(monkeypatch):
    with closing(listening_socket()) as probe:
        port = probe.getsockname()[1]
    monkeypatch.setenv("MGM_PORTS", f"{port}-{port}")
    monkeypatch.delenv("PYTEST_XDIST_WORKER", raising=False)
    with BackgroundServer(web.Application) as server:
        assert server.port == port
        with pytest.raises(ListenError, match=f"cannot listen on 127.0.0.1:{port}"):
            BackgroundServer(web.Application, port=port).start()
