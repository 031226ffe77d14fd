"""Client API account routes: details, e-mail, password, two-factor, API keys, SSH keys and account activity."""

from __future__ import annotations

import base64
import hashlib
import time
from collections.abc import Iterator

import pytest
from client_helpers import ClientEnv, assert_error, start_client_env, validation_fields
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, rsa

from ptero_emulator.totp import totp_code


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ClientEnv]:
    environment = start_client_env(tmp_path_factory.mktemp("client-account"))
    try:
        yield environment
    finally:
        environment.emulator.stop()


def _openssh(key: object) -> str:
    return (
        key.public_key()
        .public_bytes(
            serialization.Encoding.OpenSSH,  # type: ignore[attr-defined]
            serialization.PublicFormat.OpenSSH,
        )
        .decode()
    )


def test_account_details(env: ClientEnv) -> None:
    body = env.get("/api/client/account", "admin").json()
    assert body == {
        "object": "user",
        "attributes": {
            "id": 1,
            "admin": True,
            "username": "admin",
            "email": "admin@example.com",
            "first_name": "Ada",
            "last_name": "Admin",
            "language": "en",
        },
    }


def test_update_email(env: ClientEnv) -> None:
    wrong = env.put("/api/client/account/email", "stranger", json={"email": "x@example.com", "password": "nope"})
    assert_error(wrong, 400, "InvalidPasswordProvidedException", "The password provided was invalid for this account.")
    # The password check runs before validation.
    assert_error(
        env.put("/api/client/account/email", "stranger", json={"email": "not-an-email"}),
        400,
        "InvalidPasswordProvidedException",
    )
    invalid = env.put(
        "/api/client/account/email", "stranger", json={"email": "not-an-email", "password": "stranger-password"}
    )
    assert validation_fields(invalid) == [("email", "email")]
    taken = env.put(
        "/api/client/account/email", "stranger", json={"email": "player@example.com", "password": "stranger-password"}
    )
    assert validation_fields(taken) == [("email", "unique")]
    ok = env.put(
        "/api/client/account/email", "stranger", json={"email": "sam@example.com", "password": "stranger-password"}
    )
    assert ok.status_code == 204 and ok.content == b""
    assert env.get("/api/client/account", "stranger").json()["attributes"]["email"] == "sam@example.com"
    activity = env.get("/api/client/account/activity", "stranger").json()["data"]
    assert activity[-1]["attributes"]["event"] == "user:account.email-changed"
    assert activity[-1]["attributes"]["properties"] == {"old": "stranger@example.com", "new": "sam@example.com"}
    assert activity[-1]["attributes"]["has_additional_metadata"] is False


def test_update_password(env: ClientEnv) -> None:
    body = {"current_password": "stranger-password", "password": "short", "password_confirmation": "short"}
    assert validation_fields(env.put("/api/client/account/password", "stranger", json=body)) == [("password", "min")]
    body.update(password="a-long-password", password_confirmation="different")
    assert validation_fields(env.put("/api/client/account/password", "stranger", json=body)) == [
        ("password", "confirmed")
    ]
    body.update(password_confirmation="a-long-password")
    assert env.put("/api/client/account/password", "stranger", json=body).status_code == 204
    again = env.put("/api/client/account/password", "stranger", json=body)  # old current password is now wrong
    assert_error(again, 400, "InvalidPasswordProvidedException")
    body.update(
        current_password="a-long-password", password="stranger-password", password_confirmation="stranger-password"
    )
    assert env.put("/api/client/account/password", "stranger", json=body).status_code == 204


def test_two_factor_flow(env: ClientEnv) -> None:
    setup = env.get("/api/client/account/two-factor", "stranger").json()["data"]
    secret = setup["secret"]
    assert len(secret) == 32 and set(secret) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567")
    assert (
        setup["image_url_data"].startswith("otpauth://totp/Pterodactyl:")
        and f"secret={secret}" in setup["image_url_data"]
    )
    assert validation_fields(env.post("/api/client/account/two-factor", "stranger", json={"code": "1"})) == [
        ("code", "size"),
        ("password", "required"),
    ]
    wrong_password = env.post("/api/client/account/two-factor", "stranger", json={"code": "000000", "password": "nope"})
    assert_error(wrong_password, 400, "BadRequestHttpException", "The password provided was not valid.")
    # A code that is valid in none of the accepted periods (±4 x 30 s, plus margin).
    accepted = {totp_code(secret, time.time() + offset * 30) for offset in range(-6, 7)}
    wrong_code = next(
        code
        for code in (
            "000000",
            "111111",
            "222222",
            "333333",
            "444444",
            "555555",
            "666666",
            "777777",
            "888888",
            "999999",
            "123456",
            "654321",
            "135790",
            "246801",
        )
        if code not in accepted
    )
    bad = env.post(
        "/api/client/account/two-factor", "stranger", json={"code": wrong_code, "password": "stranger-password"}
    )
    assert_error(
        bad, 400, "TwoFactorAuthenticationTokenInvalid", "The provided two-factor authentication token was not valid."
    )
    enabled = env.post(
        "/api/client/account/two-factor",
        "stranger",
        json={"code": totp_code(secret, time.time()), "password": "stranger-password"},
    ).json()
    assert enabled["object"] == "recovery_tokens" and len(enabled["attributes"]["tokens"]) == 10
    assert all(len(token) == 10 for token in enabled["attributes"]["tokens"])
    assert_error(
        env.get("/api/client/account/two-factor", "stranger"),
        400,
        "BadRequestHttpException",
        "Two-factor authentication is already enabled on this account.",
    )
    assert_error(
        env.post("/api/client/account/two-factor/disable", "stranger", json={"password": "x"}),
        400,
        "BadRequestHttpException",
        "The password provided was not valid.",
    )
    assert (
        env.post(
            "/api/client/account/two-factor/disable", "stranger", json={"password": "stranger-password"}
        ).status_code
        == 204
    )
    events = [e["attributes"]["event"] for e in env.get("/api/client/account/activity", "stranger").json()["data"]]
    assert "user:two-factor.create" in events and "user:two-factor.delete" in events


def test_api_keys(env: ClientEnv) -> None:
    created = env.post(
        "/api/client/account/api-keys",
        "stranger",
        json={"description": "ci key", "allowed_ips": ["127.0.0.1", "10.0.0.0/8"]},
    )
    assert created.status_code == 200
    body = created.json()
    identifier, secret = body["attributes"]["identifier"], body["meta"]["secret_token"]
    assert identifier.startswith("ptlc_") and len(identifier) == 16 and len(secret) == 32
    assert body["attributes"]["allowed_ips"] == ["127.0.0.1", "10.0.0.0/8"]
    assert body["attributes"]["last_used_at"] is None
    token_headers = {"Authorization": f"Bearer {identifier}{secret}", "Accept": "application/json"}
    me = env.session.get(env.url + "/api/client/account", headers=token_headers, timeout=10)
    assert me.status_code == 200 and me.json()["attributes"]["username"] == "stranger"
    listed = env.get("/api/client/account/api-keys", "stranger").json()
    assert identifier in [k["attributes"]["identifier"] for k in listed["data"]]
    assert "meta" not in listed and "secret_token" not in str(listed)
    assert env.delete(f"/api/client/account/api-keys/{identifier}", "stranger").status_code == 204
    assert_error(env.delete(f"/api/client/account/api-keys/{identifier}", "stranger"), 404, "NotFoundHttpException")
    assert env.session.get(env.url + "/api/client/account", headers=token_headers, timeout=10).status_code == 401


def test_api_key_validation_and_limit(env: ClientEnv) -> None:
    invalid = env.post(
        "/api/client/account/api-keys", "stranger", json={"description": "x", "allowed_ips": ["127.0.0.1", "999.1.1.1"]}
    )
    assert validation_fields(invalid) == [("allowed_ips.1", "")]
    assert invalid.json()["errors"][0]["detail"] == '"999.1.1.1" is not a valid IP address or CIDR range.'
    assert validation_fields(env.post("/api/client/account/api-keys", "stranger", json={})) == [
        ("description", "required")
    ]
    env.configure(api_key_limit=2)
    try:
        existing = len(env.get("/api/client/account/api-keys", "stranger").json()["data"])
        for index in range(2 - existing):
            assert (
                env.post("/api/client/account/api-keys", "stranger", json={"description": f"k{index}"}).status_code
                == 200
            )
        assert_error(
            env.post("/api/client/account/api-keys", "stranger", json={"description": "over"}),
            400,
            "DisplayException",
            "You have reached the account limit for number of API keys.",
        )
    finally:
        env.configure(api_key_limit=25)


def test_ssh_keys(env: ClientEnv) -> None:
    key = ed25519.Ed25519PrivateKey.generate()
    public = _openssh(key)
    created = env.post("/api/client/account/ssh-keys", "stranger", json={"name": "laptop", "public_key": public})
    assert created.status_code == 200
    attributes = created.json()["attributes"]
    blob = base64.b64decode(public.split()[1])
    assert attributes["fingerprint"] == base64.b64encode(hashlib.sha256(blob).digest()).decode().rstrip("=")
    assert attributes["public_key"].startswith("-----BEGIN PUBLIC KEY-----\r\n")
    duplicate = env.post("/api/client/account/ssh-keys", "stranger", json={"name": "again", "public_key": public})
    assert duplicate.json()["errors"][0]["detail"] == "The public key provided already exists on your account."
    small = rsa.generate_private_key(public_exponent=65537, key_size=1024)
    too_small = env.post(
        "/api/client/account/ssh-keys", "stranger", json={"name": "old", "public_key": _openssh(small)}
    )
    assert validation_fields(too_small) == [("public_key", "")]
    assert too_small.json()["errors"][0]["detail"] == "RSA keys must be at least 2048 bytes in length."
    garbage = env.post("/api/client/account/ssh-keys", "stranger", json={"name": "bad", "public_key": "ssh-rsa AAAA"})
    assert garbage.json()["errors"][0]["detail"] == "The public key provided is not valid."
    listed = env.get("/api/client/account/ssh-keys", "stranger").json()["data"]
    assert [k["attributes"]["name"] for k in listed] == ["laptop"]
    for _unused in range(2):  # removal is idempotent
        assert (
            env.post(
                "/api/client/account/ssh-keys/remove", "stranger", json={"fingerprint": attributes["fingerprint"]}
            ).status_code
            == 204
        )
    assert validation_fields(env.post("/api/client/account/ssh-keys/remove", "stranger", json={})) == [
        ("fingerprint", "required")
    ]
    assert env.get("/api/client/account/ssh-keys", "stranger").json()["data"] == []


def test_account_activity_pagination(env: ClientEnv) -> None:
    for index in range(3):
        env.post("/api/client/account/ssh-keys/remove", "admin", json={"fingerprint": f"none-{index}"})
        env.post("/api/client/account/api-keys", "admin", json={"description": f"activity {index}"})
    page = env.get("/api/client/account/activity", "admin", params={"per_page": 2, "filter[event]": "api-key"}).json()
    pagination = page["meta"]["pagination"]
    assert pagination["per_page"] == 2 and pagination["total"] >= 3
    assert "filter%5Bevent%5D=api-key" in pagination["links"]["next"]
    assert page["data"][0]["attributes"]["properties"]["identifier"].startswith("ptlc_")
    assert (
        env.get("/api/client/account/activity", "admin", params={"per_page": 1000}).json()["meta"]["pagination"][
            "per_page"
        ]
        == 100
    )
    assert_error(
        env.get("/api/client/account/activity", "admin", params={"filter[ip]": "1"}), 400, "InvalidFilterQuery"
    )
