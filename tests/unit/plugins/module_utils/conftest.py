# Private to ptero.panel: not a public API.
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Fixtures for the PanelClient tests: a mocked panel (responses), recorded sleeps and a client factory.

`tests/unit/conftest.py` (the lead's) already puts `ansible_collections.ptero.panel` on sys.path.
"""

from __future__ import annotations

import time
import typing as t

import pytest
import responses

from ansible_collections.ptero.panel.plugins.module_utils._client import PanelClient

BASE_URL = "https://panel.example.test"
# A recognisable key: tests assert that it never shows up in errors.
SENTINEL_KEY = "ptla_SENTINELkey" + "S3CR3TSENTINELVALUE0123456789ABC"


@pytest.fixture
def api_key() -> str:
    return SENTINEL_KEY


@pytest.fixture
def panel() -> t.Iterator[responses.RequestsMock]:
    """A fake panel at BASE_URL; every request made by `requests` goes to it (unknown URLs raise)."""
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield mock


@pytest.fixture
def sleeps(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """Delays the client asked to sleep, in order; nothing really sleeps."""
    recorded: list[float] = []
    monkeypatch.setattr(time, "sleep", recorded.append)
    return recorded


@pytest.fixture
def make_client(sleeps: list[float]) -> t.Iterator[t.Callable[..., PanelClient]]:
    clients: list[PanelClient] = []

    def factory(url: str = BASE_URL, api_key: str = SENTINEL_KEY, **options: t.Any) -> PanelClient:
        # The mocked panel is a Pterodactyl one unless a test says otherwise (panel="auto" to test detection).
        options.setdefault("panel", "pterodactyl")
        client = PanelClient(url, api_key, **options)
        clients.append(client)
        return client

    yield factory
    for client in clients:
        client.close()
