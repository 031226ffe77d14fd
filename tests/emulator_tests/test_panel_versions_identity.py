"""Panel 1.12+ identifiers and headers, and the JWTs of each version (panel-versions.md A4, A11, A16, A18, B2, B3;
real-panel-1.14.1.md §2.2, §2.3; real-panel-1.12.2.md D3, D7, D9, D14)."""

from __future__ import annotations

import base64
import hashlib
import json
import re
from typing import Any

import pytest
import requests
from client_helpers import ClientEnv, add_subuser, assert_error, client_env_fixture

from ptero_emulator.client_api.identifiers import decode_realtime_identifier, realtime_identifier
from ptero_emulator.state import State

SECURITY_HEADERS = {
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "X-XSS-Protection": "1; mode=block",
    "Referrer-Policy": "no-referrer-when-downgrade",
}


def _prepare(state: State) -> dict[str, Any]:
    survival = state.find("servers", name="Survival")
    add_subuser(state, "watcher", survival, ["websocket.connect", "activity.read"])
    return {"_extra_keys": {"watcher": "watcher"}}


env = client_env_fixture("identity", "1.14", _prepare)
env_1_12 = client_env_fixture("identity", "1.12", _prepare)
old_env = client_env_fixture("identity", "1.11", _prepare)


def _serv(env: ClientEnv) -> str:
    return realtime_identifier("serv", env.facts["survival_uuid"])


def _claims(token: str) -> tuple[dict[str, Any], dict[str, Any]]:
    header, claims = (
        json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))) for part in token.split(".")[:2]
    )
    return header, claims


def _query_token(url: str) -> str:
    return re.search(r"token=([^&]+)", url).group(1)


# ------------------------------------------------------------------------------------------------- serv_ ids
def test_identifier_encoding_matches_the_real_panel() -> None:
    # real-panel-1.14.1.md §2.3: lowercase unpadded RFC 4648 base32 of the 16 uuid bytes.
    assert realtime_identifier("serv", "8e630c61-e791-424f-9522-8bb6e98a40e9") == "serv_rzrqyyphsfbe7fjcro3otcsa5e"
    assert decode_realtime_identifier("serv", "serv_rzrqyyphsfbe7fjcro3otcsa5e==") == (
        "8e630c61-e791-424f-9522-8bb6e98a40e9"
    )


def test_client_server_object_gains_the_new_fields(env: ClientEnv) -> None:
    short = env.facts["survival"]
    attributes = env.get(f"/api/client/servers/{short}").json()["attributes"]
    assert attributes["identifier"] == short and attributes["__deprecated_uuid_short"] == short
    assert attributes["server_identifier"] == _serv(env) and len(_serv(env)) == 31
    listed = env.get("/api/client").json()["data"]
    assert {s["attributes"]["server_identifier"] for s in listed} == {
        realtime_identifier("serv", s["attributes"]["uuid"]) for s in listed
    }


@pytest.mark.parametrize("suffix", ["", "=", "==", "%3D%3D"])
def test_serv_identifier_names_the_server(env: ClientEnv, suffix: str) -> None:
    answer = env.get(f"/api/client/servers/{_serv(env)}{suffix}")
    assert answer.status_code == 200 and answer.json()["attributes"]["uuid"] == env.facts["survival_uuid"]


def test_serv_identifier_on_server_routes(env: ClientEnv) -> None:
    renamed = env.post(f"/api/client/servers/{_serv(env)}/settings/rename", json={"name": "Survival"})
    assert renamed.status_code == 204
    assert env.get(f"/api/client/servers/{_serv(env)}/websocket").status_code == 200
    full = env.get(f"/api/client/servers/{env.facts['survival_uuid']}").json()["attributes"]
    assert full["server_identifier"] == _serv(env)
    # Percent-encoded path segments are decoded: %38 is "8".
    short = env.facts["survival"]
    encoded = "%" + format(ord(short[0]), "02X") + short[1:]
    assert env.get(f"/api/client/servers/{encoded}").status_code == 200


def test_malformed_serv_identifiers(env: ClientEnv) -> None:
    serv = _serv(env)
    body = serv[5:]
    not_found = [
        serv[:5] + body.upper(),
        "SERV_" + body,
        "serv_" + "1" * 26,
        "serv_",
        "serv_" + "a" * 26,
        serv[:-1] + "!",
        "user_" + body,
    ]
    for value in not_found:
        answer = env.get(f"/api/client/servers/{requests.utils.quote(value)}")
        assert_error(answer, 404, "NotFoundHttpException")
        assert "X-RateLimit-Limit" not in answer.headers
    for value in ("serv_abc", serv + "a"):  # decodes to other than 16 bytes
        answer = env.get(f"/api/client/servers/{value}")
        assert_error(answer, 500, "InvalidArgumentException")
        assert "X-RateLimit-Limit" not in answer.headers


def test_user_identifiers_on_subusers_and_activity_actors(env: ClientEnv) -> None:
    server = f"/api/client/servers/{env.facts['survival']}"
    created = env.post(server + "/users", json={"email": "ident@example.org", "permissions": ["file.read"]})
    attributes = created.json()["attributes"]
    assert attributes["identifier"] == realtime_identifier("user", attributes["uuid"])
    listed = env.get(server + "/users").json()["data"]
    assert all(item["attributes"]["identifier"].startswith("user_") for item in listed)
    activity = env.get(server + "/activity", params={"include": "actor"}).json()["data"]
    actors = [entry["attributes"]["relationships"]["actor"] for entry in activity]
    assert any(actor["object"] == "user" and actor["attributes"]["identifier"].startswith("user_") for actor in actors)
    # The account object is unchanged.
    assert "identifier" not in env.get("/api/client/account").json()["attributes"]


def test_1_12_has_the_identifiers_too(env_1_12: ClientEnv) -> None:
    attributes = env_1_12.get(f"/api/client/servers/{_serv(env_1_12)}").json()["attributes"]
    assert attributes["server_identifier"] == _serv(env_1_12)
    assert attributes["__deprecated_uuid_short"] == env_1_12.facts["survival"]


def test_1_11_has_no_new_identifiers(old_env: ClientEnv) -> None:
    attributes = old_env.get(f"/api/client/servers/{old_env.facts['survival']}").json()["attributes"]
    assert "server_identifier" not in attributes and "__deprecated_uuid_short" not in attributes
    assert_error(old_env.get(f"/api/client/servers/{_serv(old_env)}"), 404, "NotFoundHttpException")
    subusers = old_env.get(f"/api/client/servers/{old_env.facts['survival']}/users").json()["data"]
    assert subusers and all("identifier" not in item["attributes"] for item in subusers)


# ------------------------------------------------------------------------------------------------- headers
def test_security_headers_on_every_panel_response(env: ClientEnv, env_1_12: ClientEnv) -> None:
    for target in (env, env_1_12):
        answers = [
            target.get("/api/client"),
            target.get("/api/client/servers/deadbeef"),
            target.get("/api/client/nope"),
            target.get("/api/application/nodes", "application"),
            target.get("/api/client/servers/serv_abc"),
        ]
        for answer in answers:
            for name, value in SECURITY_HEADERS.items():
                assert answer.headers.get(name) == value, (answer.status_code, name)
            assert answer.headers["Cache-Control"] == "no-cache, private"
            assert answer.headers["Access-Control-Allow-Origin"] == ""
            assert answer.headers["Access-Control-Allow-Credentials"] == "true"


def test_1_11_has_no_security_headers(old_env: ClientEnv) -> None:
    answer = old_env.get("/api/client")
    assert not any(name in answer.headers for name in SECURITY_HEADERS)
    # Laravel's own Cache-Control and the CORS middleware were already there in 1.11.
    assert answer.headers["Cache-Control"] == "no-cache, private"
    assert answer.headers["Access-Control-Allow-Credentials"] == "true"


# ------------------------------------------------------------------------------------------------- JWTs
def _websocket_claims(env: ClientEnv, who: str = "player") -> tuple[dict[str, Any], dict[str, Any]]:
    answer = env.get(f"/api/client/servers/{env.facts['survival']}/websocket", who)
    assert answer.status_code == 200, answer.text
    return _claims(answer.json()["data"]["token"])


def _user_id(env: ClientEnv, name: str) -> int:
    return next(row["id"] for row in env.rows("users") if row["username"] == name)


def test_1_14_websocket_jwt(env: ClientEnv) -> None:
    header, claims = _websocket_claims(env)
    expected_jti = hashlib.sha256(f"{_user_id(env, 'player')}{env.facts['survival_uuid']}".encode()).hexdigest()
    assert claims["jti"] == expected_jti and header["jti"] == expected_jti
    assert claims["scope"] == "websocket" and "user_id" not in claims
    assert set(claims) == {
        "iss",
        "aud",
        "jti",
        "iat",
        "nbf",
        "exp",
        "server_uuid",
        "permissions",
        "scope",
        "user_uuid",
        "unique_id",
    }
    assert isinstance(claims["aud"], list) and claims["aud"] == ["https://node1.example.com:8080"]
    assert claims["exp"] - claims["iat"] == 600 and claims["nbf"] == claims["iat"] - 300
    assert re.fullmatch(r"[A-Za-z0-9]{16}", claims["unique_id"])
    unique_ids = {_websocket_claims(env)[1]["unique_id"] for _unused in range(3)}
    assert len(unique_ids) == 3
    env.emulator.clear_rate_limits()
    _header, admin = _websocket_claims(env, "admin")
    assert admin["permissions"] == [
        "*",
        "admin.websocket.errors",
        "admin.websocket.install",
        "admin.websocket.transfer",
    ]


def test_1_14_file_and_backup_jwts_are_scoped(env: ClientEnv) -> None:
    server = f"/api/client/servers/{env.facts['survival']}"
    download = env.get(server + "/files/download", params={"file": "/eula.txt"}).json()["attributes"]["url"]
    upload = env.get(server + "/files/upload").json()["attributes"]["url"]
    backup_uuid = next(row["uuid"] for row in env.rows("backups") if row.get("is_successful"))
    backup = env.get(f"{server}/backups/{backup_uuid}/download").json()["attributes"]["url"]
    expected_jti = hashlib.sha256(f"{_user_id(env, 'player')}{env.facts['survival_uuid']}".encode()).hexdigest()
    for url, scope in ((download, "file-download"), (upload, "file-upload"), (backup, "backup-download")):
        _header, claims = _claims(_query_token(url))
        assert claims["scope"] == scope and "user_id" not in claims and claims["jti"] == expected_jti
        assert isinstance(claims["aud"], list)
    assert requests.get(download, timeout=10).status_code == 200  # the emulated Wings still accepts it


@pytest.mark.parametrize("version", ["1.12", "1.11"])
def test_older_panels_keep_md5_jti_and_user_id(env_1_12: ClientEnv, old_env: ClientEnv, version: str) -> None:
    target = env_1_12 if version == "1.12" else old_env
    header, claims = _websocket_claims(target)
    expected_jti = hashlib.md5(f"{_user_id(target, 'player')}{target.facts['survival_uuid']}".encode()).hexdigest()
    assert claims["jti"] == expected_jti == header["jti"]
    assert claims["user_id"] == _user_id(target, "player") and "scope" not in claims
    assert isinstance(claims["aud"], list) and re.fullmatch(r"[A-Za-z0-9]{16}", claims["unique_id"])
    download = target.get(
        f"/api/client/servers/{target.facts['survival']}/files/download", params={"file": "/eula.txt"}
    ).json()["attributes"]["url"]
    _header, file_claims = _claims(_query_token(download))
    assert "scope" not in file_claims and file_claims["user_id"] == _user_id(target, "player")
