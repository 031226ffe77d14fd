"""The Pelican-only info modules (mount_info, database_host_info, role_info): the panel's filters narrow, the
collection's exact rule decides, a lookup by id is one GET, and Pterodactyl is refused naming the panel."""

from __future__ import annotations

import pytest
import responses

from ansible_collections.ptero.panel.plugins.modules import database_host_info, mount_info, role_info
from ansible_collections.ptero.panel.tests.unit.envelopes import item, listing

PANEL = "https://panel.example.test"
APP = f"{PANEL}/api/application"
PELICAN_KEY = "papp_unittestkey" + "x" * 32
MOUNTS = [
    {"id": 1, "uuid": "6f1b2c3d-0000-4000-8000-000000000001", "name": "maps", "source": "/srv/maps"},
    {"id": 2, "uuid": "6f1b2c3d-0000-4000-8000-000000000002", "name": "maps-old", "source": "/srv/old"},
]
HOSTS = [{"id": 1, "name": "fra-mariadb", "host": "10.0.0.20", "port": 3306, "username": "pelican"}]
ROLES = [{"id": 1, "name": "Root Admin"}, {"id": 2, "name": "Support"}]


@pytest.fixture
def panel():
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield mock


def test_mount_info_matches_the_name_exactly_and_sends_includes(panel, run_module):
    listed = panel.get(f"{APP}/mounts", json=listing("mount", MOUNTS))
    outcome = run_module(mount_info.main, {"api_key": PELICAN_KEY, "name": "maps", "include": ["servers"]})
    assert not outcome.failed, outcome.result["msg"]
    assert [m["id"] for m in outcome.result["mounts"]] == [1] and outcome.result["changed"] is False
    url = listed.calls[0].request.url
    assert "filter%5Bname%5D=maps" in url and "include=servers" in url


def test_database_host_info_by_id_is_one_get(panel, run_module):
    panel.get(f"{APP}/database-hosts/1", json=item("database_host", HOSTS[0]))
    outcome = run_module(database_host_info.main, {"api_key": PELICAN_KEY, "id": 1})
    assert outcome.result["database_hosts"] == HOSTS
    assert [call.request.method for call in panel.calls] == ["GET"]


def test_role_info_lists_every_role(panel, run_module):
    panel.get(f"{APP}/roles", json=listing("role", ROLES))
    outcome = run_module(role_info.main, {"api_key": PELICAN_KEY})
    assert [r["name"] for r in outcome.result["roles"]] == ["Root Admin", "Support"]


@pytest.mark.parametrize(
    ("main", "name"),
    [(mount_info.main, "mount_info"), (database_host_info.main, "database_host_info"), (role_info.main, "role_info")],
)
def test_pterodactyl_is_refused_naming_the_panel(panel, run_module, main, name):
    outcome = run_module(main, {"panel": "pterodactyl"})
    assert outcome.failed
    assert outcome.result["msg"].startswith(f"ptero.panel.{name} needs a Pelican panel; this panel is Pterodactyl")
    assert len(panel.calls) == 0
