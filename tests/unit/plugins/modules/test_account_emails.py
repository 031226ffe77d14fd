# Private to ptero.panel: not a public API.
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""E-mail addresses panels 1.13+/1.14.1 refuse are refused before anything is sent (user and subuser modules);
the cases are those a real panel 1.14.1 answered."""

from __future__ import annotations

import json

import pytest
import responses

from ansible_collections.ptero.panel.plugins.module_utils._accounts import (
    email_problem,
    pelican_email_problem,
    require_valid_email,
)
from ansible_collections.ptero.panel.plugins.modules import subuser, user
from ansible_collections.ptero.panel.tests.unit.envelopes import listing

BASE_URL = "https://panel.example.test"
USERS = BASE_URL + "/api/application/users"
SERVER = {"identifier": "1a7ce997", "uuid": "1a7ce997-0000-4000-8000-000000000001", "name": "Survival"}
CLIENT_SERVER = BASE_URL + "/api/client/servers/" + SERVER["uuid"]

# Refused by real panel 1.14.1 (email:strict, or p_user_email for the dash).
REFUSED = [
    "-x@example.com",
    '"-x"@example.com',
    "a..b@example.com",
    '"quoted"@example.com',
    "me@localhost",
    "x@example.com.",
    "user@[127.0.0.1]",
    "(c)a@example.com",
    "a b@example.com",
    "x@-example.com",
    "x@example",
    "@example.com",
    "x@",
    "plain",
    "x" * 180 + "@example.com",
]
# Accepted by it (201), UTF-8 included.
ACCEPTED = [
    "a@b.c",
    "a+tag@example.com",
    "o'brien@example.com",
    "A@EXAMPLE.COM",
    "x@sub.example.co.uk",
    "ü@exämple.com",
    "jürgen.r@beispiel.org",
    "xr@bücher.de",
]


@pytest.fixture
def panel():
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield mock


@pytest.mark.parametrize("address", REFUSED)
def test_refused_addresses(address):
    assert email_problem(address) is not None


@pytest.mark.parametrize("address", ACCEPTED)
def test_accepted_addresses(address):
    assert email_problem(address) is None


def test_the_dash_is_named():
    assert email_problem("-x@example.com") == "its local part starts with a dash"


STORED = {
    "id": 3,
    "username": "alice",
    "email": "-alice@example.com",
    "first_name": "Alice",
    "last_name": "Doe",
    "language": "en",
    "root_admin": False,
    "external_id": None,
}


def writes(panel):
    return [call for call in panel.calls if call.request.method != "GET"]


def test_user_create_with_a_refused_address_sends_nothing(run_module, panel):
    panel.add("GET", USERS, json=listing("user", []))
    outcome = run_module(
        user.main,
        {"url": BASE_URL, "username": "bob", "email": "-bob@example.com", "first_name": "Bob", "last_name": "Doe"},
    )
    assert outcome.failed
    assert outcome.result["msg"] == (
        "email: the panel (1.13 and later) refuses '-bob@example.com' as an e-mail "
        "address: its local part starts with a dash"
    )
    assert writes(panel) == []


def test_user_create_in_check_mode_refuses_it_too(run_module, panel):
    panel.add("GET", USERS, json=listing("user", []))
    outcome = run_module(
        user.main,
        {"url": BASE_URL, "username": "bob", "email": "bob@localhost", "first_name": "Bob", "last_name": "Doe"},
        check_mode=True,
    )
    assert outcome.failed and "no dot" in outcome.result["msg"]


def test_user_whose_stored_address_is_already_right_is_left_alone(run_module, panel):
    # Stored by an older panel; asked for as it is: nothing to send, so nothing to refuse.
    panel.add("GET", USERS, json=listing("user", [STORED]))
    outcome = run_module(user.main, {"url": BASE_URL, "username": "alice", "email": "-alice@example.com"})
    assert not outcome.failed and not outcome.result["changed"]
    assert writes(panel) == []


def test_user_change_to_a_utf8_address_is_sent(run_module, panel):
    panel.add("GET", USERS, json=listing("user", [STORED]))
    panel.add(
        "PATCH", USERS + "/3", json={"object": "user", "attributes": {**STORED, "email": "jürgen.r@beispiel.org"}}
    )
    outcome = run_module(user.main, {"url": BASE_URL, "username": "alice", "email": "jürgen.r@beispiel.org"})
    assert not outcome.failed and outcome.result["changed"]
    assert json.loads(writes(panel)[0].request.body)["email"] == "jürgen.r@beispiel.org"


def test_subuser_invite_with_a_refused_address_sends_nothing(run_module, panel):
    panel.add("GET", BASE_URL + "/api/client/servers/1a7ce997", json={"object": "server", "attributes": SERVER})
    panel.add("GET", CLIENT_SERVER + "/users", json={"object": "list", "data": []})
    outcome = run_module(subuser.main, {"url": BASE_URL, "server": "1a7ce997", "email": "a..b@example.org"})
    assert outcome.failed and outcome.result["msg"].startswith(
        "email: the panel (1.13 and later) refuses 'a..b@example.org' as an e-mail address: its local part"
    )
    assert writes(panel) == []


def test_existing_subuser_is_matched_without_checking_the_address(run_module, panel):
    existing = {"uuid": "u-1", "email": "-helper@example.org", "permissions": ["websocket.connect"]}
    panel.add("GET", BASE_URL + "/api/client/servers/1a7ce997", json={"object": "server", "attributes": SERVER})
    panel.add(
        "GET",
        CLIENT_SERVER + "/users",
        json={"object": "list", "data": [{"object": "server_subuser", "attributes": existing}]},
    )
    outcome = run_module(subuser.main, {"url": BASE_URL, "server": "1a7ce997", "email": "-helper@example.org"})
    assert not outcome.failed and not outcome.result["changed"]


# Pelican's rule is the plain `email` (RFC validation letting warnings pass) with between:1,255.
PELICAN_KEY = "papp_unittestkey" + "x" * 32
PELICAN_ACCEPTED = [
    "me@localhost",
    "(c)a@example.com",
    "x" * 200 + "@example.com",
    "-x@example.com",
    '"a..b"@example.com',
]
PELICAN_REFUSED = [
    "x" * 250 + "@example.com",
    "plain",
    "x@",
    "@example.com",
    "a..b@example.com",
    ".a@example.com",
    "a.@example.com",
    "a@example..com",
    "a@.example.com",
]


@pytest.mark.parametrize("address", PELICAN_ACCEPTED)
def test_pelican_accepts_more_than_pterodactyl(address):
    assert email_problem(address) is not None
    assert pelican_email_problem(address) is None


@pytest.mark.parametrize("address", PELICAN_REFUSED)
def test_pelican_refuses_too_long_or_not_an_address(address):
    assert pelican_email_problem(address) is not None


def test_pelican_user_create_sends_an_address_only_pterodactyl_refuses(run_module, panel):
    address = "x" * 200 + "@example.com"
    panel.add("GET", USERS, json=listing("user", []))
    panel.add("POST", USERS, json={"object": "user", "attributes": {"id": 9, "username": "bob", "email": address}})
    outcome = run_module(user.main, {"url": BASE_URL, "api_key": PELICAN_KEY, "username": "bob", "email": address})
    assert not outcome.failed, outcome.result
    assert json.loads(writes(panel)[0].request.body)["email"] == address


def test_pelican_user_create_refuses_what_pelican_refuses(run_module, panel):
    address = "x" * 250 + "@example.com"
    panel.add("GET", USERS, json=listing("user", []))
    outcome = run_module(user.main, {"url": BASE_URL, "api_key": PELICAN_KEY, "username": "bob", "email": address})
    assert outcome.failed
    assert outcome.result["msg"] == (
        f"email: Pelican refuses '{address}' as an e-mail address: it is longer than 255 characters"
    )
    assert writes(panel) == []


def test_the_panel_is_only_asked_about_an_address_pterodactyl_refuses():
    asked: list[str] = []

    def is_pelican() -> bool:
        asked.append("asked")
        return True

    require_valid_email("bob@example.com", is_pelican)
    assert asked == []
    require_valid_email("bob@localhost", is_pelican)
    assert asked == ["asked"]


def test_pelican_subuser_invite_sends_a_dotless_domain(run_module, panel):
    pelican_server = {**SERVER, "description": ""}
    panel.add("GET", BASE_URL + "/api/client/servers/1a7ce997", json={"object": "server", "attributes": pelican_server})
    panel.add("GET", CLIENT_SERVER + "/users", json={"object": "list", "data": []})
    invited = {"uuid": "u-2", "email": "helper@localhost", "permissions": ["websocket.connect"]}
    panel.add("POST", CLIENT_SERVER + "/users", json={"object": "server_subuser", "attributes": invited})
    outcome = run_module(
        subuser.main,
        {"url": BASE_URL, "api_key": "plcn_unittestkey" + "x" * 32, "server": "1a7ce997", "email": "helper@localhost"},
    )
    assert not outcome.failed, outcome.result
    assert json.loads(writes(panel)[0].request.body)["email"] == "helper@localhost"
