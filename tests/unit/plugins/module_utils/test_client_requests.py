# Private to ptero.panel: not a public API.
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What PanelClient puts on the wire for every operation, and how it reads each kind of answer."""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

import pytest
import requests
import responses
import yaml

from ansible_collections.ptero.panel.plugins.module_utils._client import (
    ACCEPT,
    PanelClient,
    build_query,
    flatten,
)
from ansible_collections.ptero.panel.plugins.module_utils._operations import OPERATIONS
from ansible_collections.ptero.panel.plugins.module_utils._version import COLLECTION_VERSION

BASE_URL = "https://panel.example.test"  # the make_client fixture's default
SENTINEL_KEY = "ptla_SENTINELkey" + "S3CR3TSENTINELVALUE0123456789ABC"  # the api_key fixture

GALAXY = Path(__file__).resolve().parents[4] / "galaxy.yml"

SAMPLE_PARAMS = {
    "user": 7,
    "node": 3,
    "allocation": 11,
    "location": 2,
    "server": 5,
    "database": "Xy7bQ2ab",
    "nest": 1,
    "egg": 4,
    "external_id": "ext-42",
    "identifier": "ptlc_abcdefghijk",
    "schedule": 9,
    "task": 12,
    "backup": "6f1c1e5a-2c9e-4f0e-9a51-8f3c2b7d1e00",
}
# Routes the panel answers with 202 and a `[]` body instead of 204.
ACCEPTED_202 = {"client.schedules.execute", "client.settings.reinstall"}

ITEM_BODY = {
    "object": "thing",
    "attributes": {
        "id": 1,
        "name": "one",
        "relationships": {
            "allocations": {
                "object": "list",
                "data": [{"object": "allocation", "attributes": {"id": 10, "port": 25565}}],
            },
            "egg": {"object": "egg", "attributes": {"uuid": "e-1", "name": "Paper"}},
            "user": {"object": "null_resource", "attributes": None},
        },
    },
    "meta": {"resource": "https://panel.example.test/api/application/things/1"},
}
ITEM_FLAT = {
    "id": 1,
    "name": "one",
    "relationships": {
        "allocations": [{"id": 10, "port": 25565}],
        "egg": {"uuid": "e-1", "name": "Paper"},
        "user": None,
    },
}
LIST_BODY = {
    "object": "list",
    "data": [{"object": "thing", "attributes": {"id": 1}}, {"object": "thing", "attributes": {"id": 2}}],
}
RAW_BODY = {"debug": False, "uuid": "n-1", "api": {"host": "0.0.0.0", "port": 8080, "ssl": {"enabled": True}}}
SIGNED_BODY = {"object": "signed_url", "attributes": {"url": "https://node.example.test:8080/download/file?token=abc"}}
DATA_BODY = {"data": {"token": "jwt.value.here", "socket": "wss://node.example.test:8080/api/servers/u/ws"}}
TEXT_BODY = "motd=Hello  \n\tworld ünïcode\n"


def expected_path(name: str, params: dict) -> str:
    path = OPERATIONS[name].path
    for key, value in params.items():
        path = path.replace("{" + key + "}", str(value))
    return path


def sample_query(name: str) -> dict:
    op = OPERATIONS[name]
    if op.filters:
        return {f"filter[{op.filters[0]}]": "a b,c", "include": ["allocations", "user"], "sort": "-id"}
    if (
        name.startswith("client.files.")
        and op.method in ("GET", "POST")
        and name not in ("client.files.upload", "client.files.list")
    ):
        return {"file": "/config/server properties.txt"}
    if name == "client.files.list":
        return {"directory": "/plugins & mods/"}
    if op.method == "GET":
        return {"include": "egg"}
    return {}


def sample_body(name: str):
    op = OPERATIONS[name]
    if op.body == "json":
        return {
            "name": "Main",
            "limits": {"memory": 1024, "threads": None},
            "ports": ["25565", "25570-25575"],
            "flag": True,
        }
    if op.body == "raw":
        return TEXT_BODY
    return None


def answer_for(name: str) -> tuple[int, str, str | bytes, object]:
    """(status, content type, body, what call() must return) for an operation's response kind."""
    kind = OPERATIONS[name].response
    if kind == "item":
        return 200, "application/json", json.dumps(ITEM_BODY), ITEM_FLAT
    if kind == "list":
        return 200, "application/json", json.dumps(LIST_BODY), [{"id": 1}, {"id": 2}]
    if kind == "none":
        if name in ACCEPTED_202:
            return 202, "application/json", "[]", None
        return 204, "application/json", "", None
    if kind == "raw":
        return 200, "application/json", json.dumps(RAW_BODY), RAW_BODY
    if kind == "text":
        return 200, "text/plain; charset=utf-8", TEXT_BODY.encode("utf-8"), TEXT_BODY
    if kind == "signed_url":
        return 200, "application/json", json.dumps(SIGNED_BODY), {"url": SIGNED_BODY["attributes"]["url"]}
    if kind == "data":
        return 200, "application/json", json.dumps(DATA_BODY), DATA_BODY["data"]
    raise AssertionError(kind)


@pytest.mark.parametrize("name", sorted(name for name, op in OPERATIONS.items() if op.available_on("pterodactyl")))
def test_operation_request_and_response(name, panel, make_client, api_key):
    op = OPERATIONS[name]
    params = {key: SAMPLE_PARAMS[key] for key in op.path_params}
    query = sample_query(name)
    body = sample_body(name)
    status, content_type, answer, expected = answer_for(name)
    url = BASE_URL + expected_path(name, params)
    panel.add(op.method, url, body=answer, status=status, content_type=content_type)

    result = make_client().call(name, params, query=query, body=body)

    assert result == expected
    assert len(panel.calls) == 1
    sent = panel.calls[0].request
    assert sent.method == op.method
    assert urlsplit(sent.url).path == expected_path(name, params)
    wanted_query = [(key, ",".join(value) if isinstance(value, list) else value) for key, value in query.items()]
    assert parse_qsl(urlsplit(sent.url).query, keep_blank_values=True) == wanted_query
    assert sent.headers["Accept"] == ACCEPT
    assert sent.headers["Authorization"] == f"Bearer {api_key}"
    assert sent.headers["User-Agent"].startswith(f"ptero.panel/{COLLECTION_VERSION} ")
    if op.body == "json":
        assert sent.headers["Content-Type"] == "application/json"
        assert json.loads(sent.body) == body
    elif op.body == "raw":
        assert sent.headers["Content-Type"] == "text/plain"
        assert sent.body == TEXT_BODY.encode("utf-8")
    else:
        assert "Content-Type" not in sent.headers
        assert not sent.body


def test_path_parameters_are_quoted_as_one_segment(panel, make_client):
    panel.add("GET", BASE_URL + "/api/application/users/external/a%2Fb%20c%3Fd%23e", json=ITEM_BODY)
    make_client().call("application.users.get_external", {"external_id": "a/b c?d#e"})
    assert urlsplit(panel.calls[0].request.url).path == "/api/application/users/external/a%2Fb%20c%3Fd%23e"


@pytest.mark.parametrize(
    ("params", "problem"),
    [
        ({}, "missing user"),
        ({"user": None}, "missing user"),
        ({"user": 1, "server": 2}, "unexpected server"),
    ],
)
def test_wrong_path_parameters_are_rejected_before_sending(params, problem, panel, make_client):
    client = make_client()
    with pytest.raises(ValueError, match=problem):
        client.call("application.users.get", params)
    assert client.request_count == 0 and not panel.calls


def test_body_on_an_operation_without_body_is_rejected(make_client):
    with pytest.raises(ValueError, match="takes no request body"):
        make_client().call("application.servers.suspend", {"server": 1}, body={"x": 1})


def test_raw_write_sends_bytes_untouched_and_empty_content(panel, make_client):
    url = BASE_URL + "/api/client/servers/abcd1234/files/write"
    panel.add("POST", url, status=204)
    client = make_client()
    client.call("client.files.write", {"server": "abcd1234"}, query={"file": " a.txt "}, body=b"\x00\xffbinary  ")
    client.call("client.files.write", {"server": "abcd1234"}, query={"file": "empty.txt"})
    assert panel.calls[0].request.body == b"\x00\xffbinary  "
    assert panel.calls[1].request.body in (b"", None)
    assert panel.calls[1].request.headers["Content-Type"] == "text/plain"
    assert parse_qsl(urlsplit(panel.calls[0].request.url).query) == [("file", " a.txt ")]


def test_query_building():
    assert build_query(
        {
            "include": ["allocations", "user"],
            "filter[name]": ["a", "b"],
            "sort": ("-id", "uuid"),
            "location_ids[]": [1, 2],
            "page": 3,
            "skip": None,
            "filter[server_id]": True,
        }
    ) == [
        ("include", "allocations,user"),
        ("filter[name]", "a,b"),
        ("sort", "-id,uuid"),
        ("location_ids[]", "1"),
        ("location_ids[]", "2"),
        ("page", "3"),
        ("filter[server_id]", "true"),
    ]


def test_repeated_list_parameters_reach_the_panel(panel, make_client):
    panel.add("GET", BASE_URL + "/api/application/nodes/deployable", json=LIST_BODY)
    make_client().call("application.nodes.deployable", query={"memory": 512, "disk": 0, "location_ids[]": [1, 2]})
    assert parse_qsl(urlsplit(panel.calls[0].request.url).query) == [
        ("memory", "512"),
        ("disk", "0"),
        ("location_ids[]", "1"),
        ("location_ids[]", "2"),
    ]


def test_call_with_meta_returns_the_top_level_meta(panel, make_client):
    meta = {"secret_token": "t" * 32}
    panel.add(
        "POST",
        BASE_URL + "/api/client/account/api-keys",
        json={"object": "api_key", "attributes": {"identifier": "ptlc_abcdefghijk"}, "meta": meta},
    )
    panel.add(
        "GET",
        BASE_URL + "/api/client/servers/abcd1234/startup",
        json={
            "object": "list",
            "data": [{"object": "egg_variable", "attributes": {"env_variable": "A"}}],
            "meta": {"startup_command": "java", "docker_images": {"J": "img"}, "raw_startup_command": "java"},
        },
    )
    client = make_client()
    data, got = client.call_with_meta("client.api_keys.create", body={"description": "ci"})
    assert data == {"identifier": "ptlc_abcdefghijk"} and got == meta
    variables, startup = client.call_with_meta("client.startup.get", {"server": "abcd1234"})
    assert variables == [{"env_variable": "A"}] and startup["docker_images"] == {"J": "img"}
    panel.add("DELETE", BASE_URL + "/api/application/users/1", status=204)
    assert client.call_with_meta("application.users.delete", {"user": 1}) == (None, {})


def test_nested_relationships_are_flattened():
    body = {
        "object": "server",
        "attributes": {
            "id": 1,
            "relationships": {
                "allocations": {
                    "object": "list",
                    "data": [
                        {
                            "object": "allocation",
                            "attributes": {
                                "id": 2,
                                "relationships": {
                                    "node": {"object": "node", "attributes": {"id": 3}},
                                    "server": {"object": "null_resource", "attributes": None},
                                },
                            },
                        }
                    ],
                },
                "config": {"object": None, "attributes": {"startup": "{}"}},
            },
        },
    }
    flat = flatten(body)
    assert flat == {
        "id": 1,
        "relationships": {
            "allocations": [{"id": 2, "relationships": {"node": {"id": 3}, "server": None}}],
            "config": {"startup": "{}"},
        },
    }
    # The envelope itself is left untouched.
    assert body["attributes"]["relationships"]["config"]["object"] is None
    assert flatten({"object": "null_resource", "attributes": None}) is None
    assert flatten({"object": "list", "data": []}) == []


def test_text_without_charset_is_read_as_utf8(panel, make_client):
    panel.add(
        "GET",
        BASE_URL + "/api/client/servers/abcd1234/files/contents",
        body="grüße".encode(),
        content_type="text/plain",
    )
    assert make_client().call("client.files.contents", {"server": "abcd1234"}, query={"file": "a"}) == "grüße"


def test_session_headers_and_options(make_client):
    client = make_client(BASE_URL + "/", validate_certs=False, timeout=7, user_agent_extra="ci-job/1")
    assert client.base_url == BASE_URL
    assert client.user_agent == (
        f"ptero.panel/{COLLECTION_VERSION} (+https://github.com/ptero/panel) "
        f"python-requests/{requests.__version__} ci-job/1"
    )
    assert SENTINEL_KEY not in repr(client) and SENTINEL_KEY not in repr(client._session.headers)
    assert SENTINEL_KEY not in repr(client._session.auth)


def test_every_request_has_a_timeout_and_the_verify_option(monkeypatch, make_client):
    seen = []

    def fake_send(adapter, request, **kwargs):
        seen.append((kwargs["timeout"], kwargs["verify"]))
        response = requests.Response()
        response.status_code, response._content, response.request = 204, b"", request
        return response

    monkeypatch.setattr(requests.adapters.HTTPAdapter, "send", fake_send)
    client = make_client(validate_certs=False, timeout=42)
    client.call("application.users.delete", {"user": 1})
    strict = make_client(timeout=3)
    strict.call("application.users.delete", {"user": 1})
    # With verification on, requests may swap True for the CA bundle named in the environment.
    assert seen[0] == ((10.0, 42.0), False)
    assert seen[1][0] == (3.0, 3.0) and seen[1][1] not in (False, None)


def test_cookies_are_never_kept_or_sent(panel, make_client):
    panel.add(
        "GET",
        BASE_URL + "/api/client/account",
        json=ITEM_BODY,
        headers={"Set-Cookie": "pterodactyl_session=abc; Path=/"},
    )
    client = make_client()
    client.call("client.account.get")
    client.call("client.account.get")
    assert "Cookie" not in panel.calls[1].request.headers


def test_user_agent_version_equals_galaxy_version():
    if not GALAXY.exists():
        pytest.skip("galaxy.yml is not written yet (the lead adds it); the version cannot be compared")
    galaxy = yaml.safe_load(GALAXY.read_text())
    assert galaxy["version"] == COLLECTION_VERSION
    with responses.RequestsMock() as mock:
        mock.add("GET", BASE_URL + "/api/client/account", json=ITEM_BODY)
        PanelClient(BASE_URL, SENTINEL_KEY).call("client.account.get")
        assert mock.calls[0].request.headers["User-Agent"].startswith(f"ptero.panel/{galaxy['version']} (+")


@pytest.mark.parametrize("url", ["panel.example.test", "ftp://panel.example.test", "", "https://"])
def test_bad_urls_are_rejected(url):
    with pytest.raises(ValueError, match="absolute http"):
        PanelClient(url, SENTINEL_KEY)
