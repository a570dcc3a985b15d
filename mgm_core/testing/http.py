"""HTTP clients for tests: one shared TLS context instead of one per client.

``httpx.Client()`` builds a fresh ``ssl.SSLContext`` (loading the CA bundle) each
time, about 30–60 ms; a scenario makes several clients, all talking plain HTTP
on loopback. The context is created once per process and shared; it holds no
connection.
"""

from __future__ import annotations

import functools
import ssl
from typing import Any

import httpx


@functools.cache
def shared_tls_context() -> ssl.SSLContext:
    return ssl.create_default_context()


def loopback_client(base_url: str, **options: Any) -> httpx.Client:
    """An ``httpx.Client`` for ``base_url`` that reuses the process's TLS context."""
    options.setdefault("verify", shared_tls_context())
    return httpx.Client(base_url=base_url, **options)
