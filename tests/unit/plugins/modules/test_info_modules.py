"""The `*_info` modules at the HTTP level: one query helper, one matching rule (doc_fragments/matching.py)."""

from __future__ import annotations

import ast
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
import responses

from ansible_collections.ptero.panel.plugins.modules import (
    activity_info,
    allocation_info,
    backup_info,
    client_server_info,
    database_info,
    egg_info,
    location_info,
    nest_info,
    node_info,
    schedule_info,
    server_database_info,
    server_info,
    subuser_info,
    user_info,
)
from ansible_collections.ptero.panel.tests.unit.envelopes import listing, unpaged

APP = "https://panel.example.test/api/application"
CLIENT = "https://panel.example.test/api/client"
MODULES = Path(__file__).resolve().parents[4] / "plugins" / "modules"
SERVER_UUID = "1a7ce997-0000-4000-8000-000000000001"
CLIENT_SERVER = {
    "identifier": "1a7ce997",
    "uuid": SERVER_UUID,
    "internal_id": 7,
    "name": "Survival",
    "feature_limits": {"backups": 3},
}


def query_of(call) -> dict[str, list[str]]:
    return parse_qs(urlsplit(call.request.url).query)


@pytest.fixture
def panel():
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield mock


@pytest.fixture
def client_server(panel):
    """The server 1a7ce997, as a client key sees it."""
    panel.get(f"{CLIENT}/servers/1a7ce997", json={"object": "server", "attributes": CLIENT_SERVER})
    return CLIENT_SERVER


# -- every info module is a declaration over run_info ------------------------------------------------------------


def info_module_sources() -> dict[str, str]:
    return {path.stem: path.read_text() for path in sorted(MODULES.glob("*_info.py"))}


def test_there_are_info_modules_to_check():
    assert len(info_module_sources()) >= 16


@pytest.mark.parametrize("name", sorted(info_module_sources()))
def test_every_info_module_declares_a_query_and_main_only_runs_it(name):
    tree = ast.parse(info_module_sources()[name])
    assigned = {
        target.id
        for node in tree.body
        if isinstance(node, ast.Assign)
        for target in node.targets
        if isinstance(target, ast.Name)
    }
    assert "QUERY" in assigned, f"{name} declares no QUERY"
    main = next(node for node in tree.body if isinstance(node, ast.FunctionDef) and node.name == "main")
    calls = [node.func for node in ast.walk(main) if isinstance(node, ast.Call)]
    names = {getattr(func, "id", None) or getattr(func, "attr", None) for func in calls}
    # The module reads nothing itself: no call/collect/step of its own, no exit_json/fail_json of its own.
    assert names <= {"run_info", "PanelModule"}, f"{name}.main calls {sorted(names - {'run_info', 'PanelModule'})}"
    assert "run_info" in names


@pytest.mark.parametrize("name", sorted(set(info_module_sources()) - {"permission_info"}))
def test_every_info_module_with_options_documents_the_matching_rule(name):
    assert "  - ptero.panel.matching\n" in info_module_sources()[name]


# -- the one rule: exact and case-sensitive, user names and e-mail addresses without case -------------------------


def test_a_short_code_matches_case_sensitively(panel, run_module):
    panel.get(
        f"{APP}/locations",
        json=listing("location", [{"id": 1, "short": "fra1"}, {"id": 2, "short": "FRA1"}, {"id": 3, "short": "fra10"}]),
    )
    result = run_module(location_info.main, {"short": "FRA1"}).result
    assert [location["id"] for location in result["locations"]] == [2]
    # The panel's partial filter narrowed the request; the match was made by the module.
    assert query_of(panel.calls[0])["filter[short]"] == ["FRA1"]


def test_a_name_the_panel_cannot_filter_matches_exactly(panel, run_module):
    panel.get(
        f"{APP}/nests",
        json=listing(
            "nest",
            [{"id": 1, "name": "Minecraft"}, {"id": 2, "name": "minecraft"}, {"id": 3, "name": "Minecraft Java"}],
        ),
    )
    assert [n["id"] for n in run_module(nest_info.main, {"name": "minecraft"}).result["nests"]] == [2]


def test_user_names_and_e_mail_addresses_match_without_case(panel, run_module):
    users = [
        {"id": 5, "username": "alice", "email": "Alice@Example.com", "external_id": "Ext-1"},
        {"id": 6, "username": "alice2", "email": "alice2@example.com", "external_id": "ext-1"},
    ]
    panel.get(f"{APP}/users", json=listing("user", users))
    assert [u["id"] for u in run_module(user_info.main, {"username": "ALICE"}).result["users"]] == [5]
    assert [u["id"] for u in run_module(user_info.main, {"email": "alice@example.COM"}).result["users"]] == [5]
    # Any other field is case-sensitive, an external id too.
    assert [u["id"] for u in run_module(user_info.main, {"external_id": "ext-1"}).result["users"]] == [6]


def test_every_given_option_must_match(panel, run_module):
    nodes = [
        {"id": 1, "name": "fra1", "fqdn": "fra1.example.com"},
        {"id": 2, "name": "fra1", "fqdn": "other.example.com"},
    ]
    panel.get(f"{APP}/nodes", json=listing("node", nodes))
    result = run_module(node_info.main, {"name": "fra1", "fqdn": "other.example.com"}).result
    assert [node["id"] for node in result["nodes"]] == [2]


def test_a_value_with_a_comma_is_not_sent_as_a_panel_filter(panel, run_module):
    panel.get(f"{APP}/servers", json=listing("server", [{"id": 1, "name": "a,b"}, {"id": 2, "name": "a"}]))
    result = run_module(server_info.main, {"name": "a,b"}).result
    assert [server["id"] for server in result["servers"]] == [1]
    assert "filter[name]" not in query_of(panel.calls[0])


def test_the_subusers_e_mail_matches_without_case(panel, client_server, run_module):
    subusers = [{"uuid": "u1", "email": "Bob@example.com"}, {"uuid": "u2", "email": "bobby@example.com"}]
    panel.get(f"{CLIENT}/servers/{SERVER_UUID}/users", json=unpaged("server_subuser", subusers))
    result = run_module(subuser_info.main, {"server": "1a7ce997", "email": "bob@EXAMPLE.com"}).result
    assert [s["uuid"] for s in result["subusers"]] == ["u1"]


def test_a_backup_name_matches_case_sensitively_and_the_count_covers_every_backup(panel, client_server, run_module):
    backups = [
        {"uuid": "b1", "name": "Nightly", "is_successful": True, "completed_at": "t"},
        {"uuid": "b2", "name": "nightly", "is_successful": True, "completed_at": "t"},
        {"uuid": "b3", "name": "Nightly", "is_successful": False, "completed_at": "t"},
    ]
    panel.get(f"{CLIENT}/servers/{SERVER_UUID}/backups", json=listing("backup", backups))
    result = run_module(backup_info.main, {"server": "1a7ce997", "name": "Nightly"}).result
    assert [b["uuid"] for b in result["backups"]] == ["b1", "b3"]
    assert result["backup_count"] == 2 and result["backup_limit"] == 3


# -- lookups, scopes and shapes -----------------------------------------------------------------------------------


def test_an_id_is_one_get_and_the_other_options_still_apply(panel, run_module):
    panel.get(f"{APP}/servers/4", json={"object": "server", "attributes": {"id": 4, "name": "web", "external_id": "x"}})
    assert [s["id"] for s in run_module(server_info.main, {"id": 4}).result["servers"]] == [4]
    assert run_module(server_info.main, {"id": 4, "external_id": "y"}).result["servers"] == []
    assert run_module(server_info.main, {"id": 4, "name": "Web"}).result["servers"] == []
    assert all(call.request.url.startswith(f"{APP}/servers/4") for call in panel.calls)


def test_an_unknown_id_is_an_empty_list(panel, run_module):
    panel.get(
        f"{APP}/locations/9",
        status=404,
        json={"errors": [{"code": "NotFoundHttpException", "status": "404", "detail": "not found"}]},
    )
    assert run_module(location_info.main, {"id": 9}).result == {"changed": False, "locations": [], "warnings": []}


def test_a_serv_identifier_is_matched_on_the_uuid(panel, run_module):
    from ansible_collections.ptero.panel.plugins.module_utils._lookup import server_identifier

    server = {"id": 4, "name": "web", "uuid": SERVER_UUID, "identifier": "1a7ce997"}
    panel.get(f"{APP}/servers", json=listing("server", [server]))
    result = run_module(server_info.main, {"identifier": server_identifier(SERVER_UUID)}).result
    assert [s["id"] for s in result["servers"]] == [4]
    assert query_of(panel.calls[0])["filter[uuid]"] == [SERVER_UUID]
    # With a different uuid also given, nothing can match.
    other = run_module(
        server_info.main, {"identifier": server_identifier(SERVER_UUID), "uuid": "0" * 8 + SERVER_UUID[8:]}
    )
    assert other.result["servers"] == []


def test_a_bad_serv_identifier_fails_naming_the_option_before_any_request(panel, run_module):
    outcome = run_module(server_info.main, {"identifier": "serv_abc"})
    assert outcome.failed and outcome.result["msg"].startswith("identifier: 'serv_abc' is not a valid serv_ identifier")
    assert len(panel.calls) == 0


def test_a_negative_limit_fails_naming_the_option(panel, run_module):
    outcome = run_module(activity_info.main, {"limit": -1})
    assert outcome.failed and outcome.result["msg"] == "limit: must be 0 (every entry) or more, not -1"
    assert len(panel.calls) == 0


def test_a_missing_scope_fails_naming_the_option(panel, run_module):
    panel.get(f"{APP}/nodes", json=listing("node", [{"id": 1, "name": "fra1"}]))
    outcome = run_module(allocation_info.main, {"node": "FRA1"})
    assert outcome.failed and outcome.result["msg"] == "node: no node 'FRA1' exists on the panel"


def test_a_client_server_not_visible_fails_naming_the_option(panel, run_module):
    panel.get(
        f"{CLIENT}/servers/abcdefgh",
        status=404,
        json={"errors": [{"code": "NotFoundHttpException", "status": "404", "detail": "x"}]},
    )
    panel.get(f"{CLIENT}", json=listing("server", []))
    outcome = run_module(backup_info.main, {"server": "abcdefgh"})
    assert outcome.failed and outcome.result["msg"] == "server: no server 'abcdefgh' visible to this API key"


def test_unassigned_allocations_are_asked_of_the_panel_and_matched(panel, run_module):
    panel.get(f"{APP}/nodes/1", json={"object": "node", "attributes": {"id": 1, "name": "fra1"}})
    allocations = [
        {"id": 1, "ip": "10.0.0.1", "port": 25565, "assigned": False},
        {"id": 2, "ip": "10.0.0.10", "port": 25565, "assigned": False},
    ]
    panel.get(f"{APP}/nodes/1/allocations", json=listing("allocation", allocations))
    result = run_module(allocation_info.main, {"node": "1", "ip": "10.0.0.1", "assigned": False}).result
    assert [a["id"] for a in result["allocations"]] == [1]
    asked = query_of(panel.calls[-1])
    assert asked["filter[server_id]"] == ["none"] and asked["filter[ip]"] == ["10.0.0.1"]


def test_a_database_is_named_without_its_prefix(panel, client_server, run_module):
    databases = [{"id": "d1", "name": "s7_main"}, {"id": "d2", "name": "s7_Main"}]
    panel.get(f"{CLIENT}/servers/{SERVER_UUID}/databases", json=unpaged("server_database", databases))
    result = run_module(database_info.main, {"server": "1a7ce997", "database": "main", "show_password": True}).result
    assert [d["id"] for d in result["databases"]] == ["d1"]
    assert query_of(panel.calls[-1])["include"] == ["password"]


def test_an_application_server_database_is_named_without_its_prefix(panel, run_module):
    panel.get(f"{APP}/servers/4", json={"object": "server", "attributes": {"id": 4, "name": "web"}})
    databases = [{"id": 1, "database": "s4_main"}, {"id": 2, "database": "s4_main2"}]
    panel.get(f"{APP}/servers/4/databases", json=unpaged("server_database", databases))
    result = run_module(server_database_info.main, {"server": "4", "database": "main"}).result
    assert [d["id"] for d in result["databases"]] == [1]


def test_a_schedule_by_id_has_its_tasks_in_order(panel, client_server, run_module):
    schedule = {
        "id": 3,
        "name": "Nightly",
        "relationships": {"tasks": [{"id": 2, "sequence_id": 2}, {"id": 1, "sequence_id": 1}]},
    }
    panel.get(f"{CLIENT}/servers/{SERVER_UUID}/schedules/3", json={"object": "server_schedule", "attributes": schedule})
    result = run_module(schedule_info.main, {"server": "1a7ce997", "id": 3}).result
    assert [task["id"] for task in result["schedules"][0]["tasks"]] == [1, 2]
    assert run_module(schedule_info.main, {"server": "1a7ce997", "id": 3, "name": "nightly"}).result["schedules"] == []


def test_an_egg_is_found_in_its_nest_by_exact_name(panel, run_module):
    panel.get(f"{APP}/nests", json=listing("nest", [{"id": 1, "name": "Minecraft"}]))
    eggs = [{"id": 1, "name": "Paper"}, {"id": 2, "name": "paper"}]
    panel.get(f"{APP}/nests/1/eggs", json=unpaged("egg", eggs))
    result = run_module(egg_info.main, {"nest": "Minecraft", "name": "Paper"}).result
    assert [egg["id"] for egg in result["eggs"]] == [1]
    assert query_of(panel.calls[-1])["include"] == ["variables"]
    missing = run_module(egg_info.main, {"nest": "minecraft"})
    assert missing.failed and missing.result["msg"] == "nest: no nest 'minecraft' exists on the panel"


def test_activity_stops_paging_once_the_limit_is_reached(panel, run_module):
    first = [{"id": n, "event": "server:power.start" if n % 2 else "server:power.start-x"} for n in range(1, 5)]
    panel.get(f"{CLIENT}/account/activity", json=listing("activity_log", first, current_page=1, total_pages=5))
    result = run_module(activity_info.main, {"event": "server:power.start", "limit": 2}).result
    assert [entry["id"] for entry in result["activity"]] == [1, 3]
    assert len(panel.calls) == 1
    asked = query_of(panel.calls[0])
    assert asked["sort"] == ["-timestamp"] and asked["per_page"] == ["2"]


def test_a_server_that_cannot_report_resources_says_why(panel, client_server, run_module):
    panel.get(
        f"{CLIENT}/servers/{SERVER_UUID}/resources",
        status=409,
        json={"errors": [{"code": "ServerStateConflictException", "status": "409", "detail": "suspended"}]},
    )
    result = run_module(client_server_info.main, {"server": "1a7ce997", "resources": True}).result
    (server,) = result["servers"]
    assert server["resources"] is None and server["resources_error"] == "suspended"


def test_a_refused_resources_read_fails_with_context(panel, client_server, run_module):
    panel.get(
        f"{CLIENT}/servers/{SERVER_UUID}/resources",
        status=500,
        json={"errors": [{"code": "HttpException", "status": "500", "detail": "boom"}]},
    )
    outcome = run_module(client_server_info.main, {"server": "1a7ce997", "resources": True})
    assert outcome.failed and outcome.result["msg"].startswith("Could not read the resources of server 'Survival': ")
    assert outcome.result["error"]["status"] == 500
