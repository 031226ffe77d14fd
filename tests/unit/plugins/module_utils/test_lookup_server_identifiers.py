# Private to ptero.panel: not a public API.
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""`serv_…` server identifiers (panel 1.12.1+) wherever a server is named: decoded to the uuid, so they work through
the client API on every panel version and through the application API, which does not accept them."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest

from ansible_collections.ptero.panel.plugins.module_utils._lookup import (
    find_application_server,
    find_client_server,
    server_identifier,
    uuid_from_server_identifier,
)
from ansible_collections.ptero.panel.tests.unit.envelopes import listing

BASE_URL = "https://panel.example.test"
# The pair a real panel 1.14.1 showed (uuid -> server_identifier).
UUID = "8e630c61-e791-424f-9522-8bb6e98a40e9"
SERV = "serv_rzrqyyphsfbe7fjcro3otcsa5e"
CLIENT_SERVER = {"identifier": "8e630c61", "uuid": UUID, "name": "Survival", "internal_id": 7}
APPLICATION_SERVER = {"id": 7, "identifier": "8e630c61", "uuid": UUID, "name": "Survival", "external_id": None}


def test_the_identifier_is_lowercase_unpadded_base32_of_the_uuid_bytes():
    assert server_identifier(UUID) == SERV
    assert len(SERV) == 31


@pytest.mark.parametrize("ref", [SERV, SERV + "=", SERV + "=="])
def test_identifiers_decode_to_the_uuid(ref):
    assert uuid_from_server_identifier(ref) == UUID


@pytest.mark.parametrize(
    "ref",
    [
        SERV.upper(),
        "SERV_" + SERV[5:],
        "serv_" + SERV[5:].upper(),
        "serv_abc",
        SERV + "a",
        "serv_",
        "serv_" + "1" * 26,
        "user_" + SERV[5:],
        "8e630c61",
        UUID,
        "serv_lobby",
        None,
        7,
    ],
)
def test_other_values_are_not_identifiers(ref):
    assert uuid_from_server_identifier(ref) is None


def test_every_uuid_round_trips():
    for value in (
        "00000000-0000-4000-8000-000000000000",
        "ffffffff-ffff-4fff-bfff-ffffffffffff",
        "1a7ce997-259b-452e-8b4e-cecc464142ca",
    ):
        assert uuid_from_server_identifier(server_identifier(value)) == value


def test_the_client_api_is_asked_by_uuid(panel, make_client):
    panel.add("GET", f"{BASE_URL}/api/client/servers/{UUID}", json={"object": "server", "attributes": CLIENT_SERVER})
    client = make_client()
    assert find_client_server(client, SERV) == CLIENT_SERVER
    assert client.request_count == 1  # one request, which a 1.11 panel answers too


def test_a_server_named_like_an_identifier_is_still_found_by_name(panel, make_client):
    named = {**CLIENT_SERVER, "name": SERV}
    panel.add(
        "GET",
        f"{BASE_URL}/api/client/servers/{UUID}",
        status=404,
        json={"errors": [{"code": "NotFoundHttpException", "status": "404", "detail": "Not found"}]},
    )
    panel.add("GET", f"{BASE_URL}/api/client", json=listing("server", [named]))
    assert find_client_server(make_client(), SERV) == named


def test_the_application_api_is_matched_on_the_uuid(panel, make_client):
    panel.add("GET", f"{BASE_URL}/api/application/servers", json=listing("server", [APPLICATION_SERVER]))
    client = make_client()
    assert find_application_server(client, SERV) == APPLICATION_SERVER
    query = parse_qs(urlsplit(panel.calls[0].request.url).query)
    assert query["filter[uuid]"] == [UUID]  # never the serv_ value, which the application API does not know
    assert client.request_count == 1


def test_modules_take_serv_identifiers(run_module, panel):
    from ansible_collections.ptero.panel.plugins.modules import client_server_info, schedule_info

    panel.add("GET", f"{BASE_URL}/api/client/servers/{UUID}", json={"object": "server", "attributes": CLIENT_SERVER})
    panel.add("GET", f"{BASE_URL}/api/client/servers/{UUID}/schedules", json={"object": "list", "data": []})
    outcome = run_module(client_server_info.main, {"url": BASE_URL, "server": SERV})
    assert not outcome.failed and outcome.result["servers"] == [CLIENT_SERVER]
    outcome = run_module(schedule_info.main, {"url": BASE_URL, "server": SERV})
    assert not outcome.failed and outcome.result["schedules"] == []


def test_server_info_filters_a_serv_identifier_by_uuid(run_module, panel):
    from ansible_collections.ptero.panel.plugins.modules import server_info

    panel.add("GET", f"{BASE_URL}/api/application/servers", json=listing("server", [APPLICATION_SERVER]))
    outcome = run_module(server_info.main, {"url": BASE_URL, "identifier": SERV})
    assert not outcome.failed and outcome.result["servers"] == [APPLICATION_SERVER]
    query = parse_qs(urlsplit(panel.calls[0].request.url).query)
    assert query["filter[uuid]"] == [UUID] and "filter[uuidShort]" not in query


def test_server_info_refuses_a_malformed_serv_identifier(run_module, panel):
    from ansible_collections.ptero.panel.plugins.modules import server_info

    outcome = run_module(server_info.main, {"url": BASE_URL, "identifier": "serv_abc"})
    assert outcome.failed and outcome.result["msg"].startswith("identifier: 'serv_abc' is not a valid serv_ identifier")
    assert len(panel.calls) == 0
