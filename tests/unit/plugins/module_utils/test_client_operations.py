# Private to ptero.panel: not a public API.
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The operations table covers the panel's 111 routes exactly, with the spec's paging rules."""

from __future__ import annotations

import dataclasses
import re
from collections import Counter
from pathlib import Path

import pytest

from ansible_collections.ptero.panel.plugins.module_utils._operations import (
    BODY_KINDS,
    METHODS,
    OPERATIONS,
    RESPONSE_KINDS,
    get_operation,
    render_reference_markdown,
)

ROUTES_FILE = Path(__file__).resolve().parents[2] / "data" / "panel_routes.txt"
# Route 33 of the application API is `{server}/{force?}`; only the literal `force` forces, so the table
# has one operation with that literal segment.
LITERAL_SEGMENTS = {
    "DELETE /api/application/servers/{server}/force": "DELETE /api/application/servers/{server}/{force}",
}

# Paging rules of the panel (our copy): operation -> (default per_page, max per_page, filters, sorts).
PAGINATED = {
    "application.users.list": (50, None, {"email", "uuid", "username", "external_id"}, {"id", "uuid"}),
    "application.servers.list": (
        50,
        None,
        {"uuid", "uuidShort", "name", "description", "image", "external_id"},
        {"id", "uuid"},
    ),
    "application.nodes.list": (50, None, {"uuid", "name", "fqdn", "daemon_token_id"}, {"id", "uuid", "memory", "disk"}),
    "application.allocations.list": (50, None, {"ip", "port", "ip_alias", "server_id"}, set()),
    "application.locations.list": (50, None, {"short", "long"}, {"id"}),
    "application.nests.list": (50, None, set(), set()),
    "application.nodes.deployable": (50, None, set(), set()),
    "client.servers.list": (50, 100, {"uuid", "name", "description", "external_id", "*"}, set()),
    "client.account_activity.list": (25, 100, {"event"}, {"timestamp"}),
    "client.server_activity.list": (25, 100, {"event"}, {"timestamp"}),
    "client.backups.list": (20, 50, set(), set()),
}
ALLOWED_PARAMETERS = {
    "user",
    "node",
    "allocation",
    "location",
    "server",
    "database",
    "nest",
    "egg",
    "external_id",
    "identifier",
    "schedule",
    "task",
    "backup",
    # Pelican's own routes (test_pelican_operations.py checks those against Pelican's list).
    "mount",
    "role",
    "database_host",
    "plugin",
    "uuid",
    "fingerprint",
}
# The routes a Pterodactyl panel has: the 111 of the routes file.
PTERODACTYL_OPERATIONS = {name: op for name, op in OPERATIONS.items() if op.available_on("pterodactyl")}


def spec_routes() -> list[str]:
    return [line.strip() for line in ROUTES_FILE.read_text().splitlines() if line.strip()]


def table_routes() -> list[str]:
    routes = []
    for op in PTERODACTYL_OPERATIONS.values():
        route = f"{op.method} {op.path}"
        routes.append(LITERAL_SEGMENTS.get(route, route))
    return routes


def test_routes_file_has_the_111_routes_once():
    routes = spec_routes()
    assert len(routes) == 111
    assert len(set(routes)) == 111
    assert sum(r.split()[1].startswith("/api/application") for r in routes) == 42
    assert sum(r.split()[1].startswith("/api/client") for r in routes) == 69
    for route in routes:
        assert re.fullmatch(r"(GET|POST|PUT|PATCH|DELETE) /api/(application|client)[a-z0-9/{}_-]*", route), route


def test_every_spec_route_has_exactly_one_operation():
    counts = Counter(table_routes())
    missing = [route for route in spec_routes() if counts[route] == 0]
    doubled = [route for route, count in counts.items() if count > 1]
    assert not missing, f"routes without an operation: {missing}"
    assert not doubled, f"routes with several operations: {doubled}"


def test_no_operation_without_a_spec_route():
    extra = sorted(set(table_routes()) - set(spec_routes()))
    assert not extra, f"operations that are not panel routes: {extra}"
    assert len(PTERODACTYL_OPERATIONS) == 111


def test_force_delete_uses_the_literal_force_segment():
    op = OPERATIONS["application.servers.force_delete"]
    assert (op.method, op.path) == ("DELETE", "/api/application/servers/{server}/force")
    assert op.path_params == ("server",)


@pytest.mark.parametrize("name", sorted(OPERATIONS))
def test_operation_is_well_formed(name):
    op = OPERATIONS[name]
    api, resource, action = name.split(".")
    assert op.name == name
    assert op.api == api and api in ("application", "client")
    assert op.path.startswith(f"/api/{api}")
    assert re.fullmatch(r"[a-z_]+", resource) and re.fullmatch(r"[a-z_]+", action)
    assert op.method in METHODS
    assert op.body in BODY_KINDS
    assert op.response in RESPONSE_KINDS
    assert set(op.path_params) <= ALLOWED_PARAMETERS
    assert op.description and "|" not in op.description
    if op.method == "GET":
        assert op.body is None, "GET bodies are not used"
    if not op.paginated:
        assert (op.default_per_page, op.max_per_page, op.filters, op.sorts) == (None, None, (), ())


def test_operations_are_frozen():
    op = OPERATIONS["application.users.list"]
    with pytest.raises(dataclasses.FrozenInstanceError):
        op.path = "/elsewhere"  # type: ignore[misc]


def test_paginated_operations_follow_the_panel_paging_rules():
    assert {name for name, op in PTERODACTYL_OPERATIONS.items() if op.paginated} == set(PAGINATED)
    for name, (default, maximum, filters, sorts) in PAGINATED.items():
        op = OPERATIONS[name]
        assert op.response == "list"
        assert (op.default_per_page, op.max_per_page) == (default, maximum), name
        assert set(op.filters) == filters and len(op.filters) == len(filters), name
        assert set(op.sorts) == sorts, name


@pytest.mark.parametrize(
    ("name", "kind"),
    [
        ("application.nodes.configuration", "raw"),
        ("client.files.contents", "text"),
        ("client.files.download", "signed_url"),
        ("client.files.upload", "signed_url"),
        ("client.backups.download", "signed_url"),
        ("client.servers.websocket", "data"),
        ("client.two_factor.get", "data"),
        ("client.schedules.execute", "none"),
        ("client.settings.reinstall", "none"),
        ("application.allocations.create", "none"),
        ("client.files.compress", "item"),
        ("application.eggs.list", "list"),
        ("application.server_databases.list", "list"),
    ],
)
def test_special_response_kinds(name, kind):
    assert OPERATIONS[name].response == kind


def test_only_file_write_sends_a_raw_body():
    assert [name for name, op in OPERATIONS.items() if op.body == "raw"] == ["client.files.write"]


def test_unknown_operation_names_close_matches():
    with pytest.raises(ValueError, match=r"application.users.list"):
        get_operation("application.users.lst")
    with pytest.raises(ValueError, match="Unknown panel operation 'nope'"):
        get_operation("nope")


def test_reference_markdown_lists_every_operation_once():
    text = render_reference_markdown()
    assert "## Application API (Pterodactyl: 42 routes" in text and "## Client API (Pterodactyl: 69 routes" in text
    for name, op in OPERATIONS.items():
        rows = [line for line in text.splitlines() if line.startswith(f"| `{name}` |")]
        assert len(rows) == 1, name
        assert f"`{op.path}`" in rows[0] and f" {op.method} " in rows[0]
    assert "`filter[uuidShort]`" in text
    assert "| 25/100 |" in text and "| 50/none |" in text
