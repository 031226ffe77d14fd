# Private to ptero.panel: not a public API.
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The route table as Pelican has it: exactly Pelican's 145 routes, the panels and versions each operation is tagged
with, and the details that differ on Pelican (test data: tests/unit/data/pelican_routes.txt, from pelican.md §2)."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import pytest

from ansible_collections.ptero.panel.plugins.module_utils._flavour import PELICAN, PTERODACTYL
from ansible_collections.ptero.panel.plugins.module_utils._operations import OPERATIONS, render_reference_markdown

ROUTES_FILE = Path(__file__).resolve().parents[2] / "data" / "pelican_routes.txt"
PLACEHOLDER = re.compile(r"\{[a-z_]+\}")

# The operations the Pelican module helpers were told to use (team notes), and Pelican's other new routes.
PELICAN_ONLY = {
    "application.egg_catalog.list": None,
    "application.egg_catalog.get": None,
    "application.egg_catalog.export": "beta26",
    "application.egg_catalog.import": "beta30",
    "application.egg_catalog.delete": "beta30",
    "application.egg_catalog.delete_by_uuid": "beta30",
    "application.database_hosts.list": "beta2",
    "application.database_hosts.get": "beta2",
    "application.database_hosts.create": "beta2",
    "application.database_hosts.update": "beta2",
    "application.database_hosts.delete": "beta2",
    "application.mounts.list": "beta3",
    "application.mounts.get": "beta3",
    "application.mounts.create": "beta3",
    "application.mounts.update": "beta3",
    "application.mounts.delete": "beta3",
    "application.mounts.list_eggs": "beta23",
    "application.mounts.list_nodes": "beta23",
    "application.mounts.list_servers": "beta23",
    "application.mounts.attach_eggs": "beta23",
    "application.mounts.attach_nodes": "beta23",
    "application.mounts.attach_servers": "beta23",
    "application.mounts.detach_egg": "beta23",
    "application.mounts.detach_node": "beta23",
    "application.mounts.detach_server": "beta23",
    "application.roles.list": "beta11",
    "application.roles.get": "beta11",
    "application.roles.create": "beta11",
    "application.roles.update": "beta11",
    "application.roles.delete": "beta11",
    "application.users.assign_roles": "beta11",
    "application.users.remove_roles": "beta11",
    "application.servers.transfer": "beta2",
    "application.servers.transfer_cancel": "beta2",
    "application.plugins.list": "beta32",
    "application.plugins.get": "beta32",
    "application.plugins.import_file": "beta32",
    "application.plugins.import_url": "beta32",
    "application.plugins.install": "beta32",
    "application.plugins.update": "beta32",
    "application.plugins.uninstall": "beta32",
    "application.plugins.enable": "beta32",
    "application.plugins.disable": "beta32",
    "client.ssh_keys.delete_by_fingerprint": "beta29",
    "client.account.update_username": "beta28",
    "client.backups.rename": "beta24",
    "client.settings.description": "beta22",
}
PTERODACTYL_ONLY = {
    "application.locations.list",
    "application.locations.get",
    "application.locations.create",
    "application.locations.update",
    "application.locations.delete",
    "application.nests.list",
    "application.nests.get",
    "application.eggs.list",
    "application.eggs.get",
    "client.two_factor.get",
    "client.two_factor.enable",
    "client.two_factor.disable",
    "client.ssh_keys.delete",
}


def shape(route: str) -> str:
    """A route with its placeholders unnamed, so the file may use Pelican's names."""
    return PLACEHOLDER.sub("{}", route)


def pelican_routes() -> list[str]:
    return [line.strip() for line in ROUTES_FILE.read_text().splitlines() if line.strip()]


def test_the_routes_file_has_pelicans_145_routes_once():
    routes = pelican_routes()
    assert len(routes) == len(set(routes)) == 145
    assert sum(route.split()[1].startswith("/api/application") for route in routes) == 76


def test_the_pelican_operations_are_exactly_pelicans_routes():
    table = Counter(shape(f"{op.method} {op.path}") for op in OPERATIONS.values() if op.available_on(PELICAN))
    wanted = Counter(shape(route) for route in pelican_routes())
    assert sorted((table - wanted).elements()) == [], "operations Pelican does not have"
    assert sorted((wanted - table).elements()) == [], "Pelican routes without an operation"


def test_panels_of_every_operation():
    only_pelican = {name for name, op in OPERATIONS.items() if op.flavours == (PELICAN,)}
    only_pterodactyl = {name for name, op in OPERATIONS.items() if op.flavours == (PTERODACTYL,)}
    assert only_pelican == set(PELICAN_ONLY)
    assert only_pterodactyl == PTERODACTYL_ONLY
    assert all(op.on_every_panel for name, op in OPERATIONS.items() if name not in only_pelican | only_pterodactyl)


@pytest.mark.parametrize(("name", "since"), sorted(PELICAN_ONLY.items()))
def test_the_first_pelican_release_of_each_new_route(name, since):
    assert OPERATIONS[name].pelican_since == since


@pytest.mark.parametrize(
    ("name", "instead"),
    [
        ("application.locations.create", "node tags"),
        ("application.locations.list", "node tags"),
        ("application.nests.list", "egg tags"),
        ("application.nests.get", "egg tags"),
        ("application.eggs.list", "application.egg_catalog.list"),
        ("application.eggs.get", "application.egg_catalog.get"),
        ("client.ssh_keys.delete", "client.ssh_keys.delete_by_fingerprint"),
        ("client.ssh_keys.delete_by_fingerprint", "client.ssh_keys.delete"),
        ("client.two_factor.enable", "web interface"),
    ],
)
def test_what_to_use_instead_is_named(name, instead):
    assert instead in (OPERATIONS[name].instead or "")


def test_every_pterodactyl_only_route_says_what_replaced_it():
    assert all(OPERATIONS[name].instead for name in PTERODACTYL_ONLY)


def test_shared_routes_have_no_version_gate():
    assert all(op.pelican_since is None for op in OPERATIONS.values() if op.on_every_panel)


@pytest.mark.parametrize(
    ("name", "default_per_page", "filters", "sorts"),
    [
        ("application.database_hosts.list", 10, ("name", "host"), ("id", "name", "host")),
        ("application.roles.list", 10, ("id", "name"), ("id", "name")),
        ("application.plugins.list", 10, ("id", "name", "author", "category"), ("id", "name", "author", "category")),
        ("application.mounts.list", 50, ("uuid", "name"), ()),
    ],
)
def test_pelican_list_paging(name, default_per_page, filters, sorts):
    op = OPERATIONS[name]
    assert op.paginated and op.default_per_page == default_per_page and op.max_per_page is None
    assert (op.filters, op.sorts) == (filters, sorts)


@pytest.mark.parametrize(
    "name",
    [
        "application.egg_catalog.list",
        "application.mounts.list_eggs",
        "application.mounts.list_nodes",
        "application.mounts.list_servers",
    ],
)
def test_unpaginated_pelican_lists(name):
    op = OPERATIONS[name]
    assert op.response == "list" and not op.paginated


def test_the_servers_uuid_short_filter_is_renamed_on_pelican_only():
    op = OPERATIONS["application.servers.list"]
    assert "uuidShort" in op.filters and op.filter_renames == ()
    pelican = op.on(PELICAN)
    assert "uuid_short" in pelican.filters and "uuidShort" not in pelican.filters
    assert pelican.filter_renames == (("uuidShort", "uuid_short"),)
    assert op.on(PTERODACTYL) is op


def test_details_that_differ_on_pelican():
    assert "cpu" in OPERATIONS["application.nodes.list"].on(PELICAN).sorts
    assert "cpu" not in OPERATIONS["application.nodes.list"].sorts
    deployable = OPERATIONS["application.nodes.deployable"]
    assert deployable.paginated and not deployable.on(PELICAN).paginated
    assert OPERATIONS["application.allocations.create"].on(PELICAN).status_hint(500)
    assert OPERATIONS["application.allocations.create"].status_hint(500) is None
    assert OPERATIONS["application.users.delete"].on(PELICAN).status_hint(403)


@pytest.mark.parametrize(
    ("name", "body", "response"),
    [
        ("application.egg_catalog.export", None, "text"),
        ("application.egg_catalog.import", "document", "item"),
        ("application.plugins.import_file", "multipart", "none"),
        ("application.servers.transfer", "json", "none"),
        ("application.mounts.attach_servers", "json", "item"),
        ("application.mounts.detach_server", None, "none"),
        ("client.ssh_keys.delete_by_fingerprint", None, "none"),
    ],
)
def test_pelican_body_and_response_kinds(name, body, response):
    op = OPERATIONS[name]
    assert (op.body, op.response) == (body, response)


@pytest.mark.parametrize(
    ("name", "status"),
    [
        ("application.servers.transfer", 406),
        ("application.servers.transfer_cancel", 406),
        ("client.settings.description", 403),
        ("application.mounts.create", 500),
        ("application.mounts.attach_eggs", 500),
    ],
)
def test_statuses_whose_meaning_the_table_explains(name, status):
    assert OPERATIONS[name].status_hint(status)


def test_unsupported_message_names_operation_panel_and_replacement():
    message = OPERATIONS["application.locations.create"].unsupported_message(PELICAN)
    assert message.startswith(
        "application.locations.create (POST /api/application/locations) does not exist on "
        "Pelican; only Pterodactyl has it. Use instead: node tags"
    )


def test_reference_markdown_shows_the_panels():
    text = render_reference_markdown()
    assert "## Application API (Pterodactyl: 42 routes, Pelican: 76 routes)" in text
    assert "## Client API (Pterodactyl: 69 routes, Pelican: 69 routes)" in text
    row = next(line for line in text.splitlines() if line.startswith("| `application.egg_catalog.import` |"))
    assert "| Pelican beta30+ |" in row and "| document |" in row
    row = next(line for line in text.splitlines() if line.startswith("| `application.locations.list` |"))
    assert "| Pterodactyl |" in row and "On Pelican: node tags" in row
    row = next(line for line in text.splitlines() if line.startswith("| `application.servers.list` |"))
    assert "| both |" in row and "`filter[uuid_short]`" in row
