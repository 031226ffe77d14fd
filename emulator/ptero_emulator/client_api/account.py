"""The account routes: details, two-factor authentication, e-mail, password, API keys and SSH keys."""

from __future__ import annotations

import hashlib
import ipaddress
import secrets
from typing import Any
from urllib.parse import quote

from aiohttp import web

from .. import http
from ..http import (
    ApiError,
    Check,
    ValidationFailed,
    bad_request,
    display_error,
    empty_response,
    item,
    json_response,
    list_envelope,
    not_found,
)
from ..pelican import key_prefixes
from ..sshkeys import SSH_KEY_PREFIXES, SshKeyError, parse_public_key
from ..state import ACL_RESOURCES, KEY_TYPE_ACCOUNT, State
from ..totp import totp_valid
from .common import BINDING_NOT_FOUND, INVALID_PASSWORD, NOT_VALID_PASSWORD, deauthorize, random_string, throttle
from .context import ClientCtx, Row, client_route
from .transformers import account_attributes, api_key_attributes, ssh_key_attributes

BASE32_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"


def _ensure_user_password(ctx: ClientCtx, password: Any) -> None:
    if not isinstance(password, str) or not State.check_password(ctx.user, password):
        raise display_error(INVALID_PASSWORD, "InvalidPasswordProvidedException")


@client_route("GET", "/account")
async def account(ctx: ClientCtx) -> web.Response:
    if ctx.state.config.has("account_without_id"):
        from ..pelican_client import account_attributes as pelican_account  # Pelican's shape

        return json_response(item("user", pelican_account(ctx.user)))
    return json_response(item("user", account_attributes(ctx.user)))


@client_route("GET", "/account/two-factor")
async def two_factor_setup(ctx: ClientCtx) -> web.Response:
    state, user = ctx.state, ctx.user
    if user.get("use_totp"):
        raise bad_request("Two-factor authentication is already enabled on this account.")
    secret = "".join(secrets.choice(BASE32_ALPHABET) for _unused in range(32))
    state.update("users", user, {"totp_secret": secret})
    company = "Pterodactyl"
    uri = (
        f"otpauth://totp/{quote(company, safe='')}:{quote(user['email'], safe='')}?secret={quote(secret, safe='')}"
        f"&issuer={quote(company, safe='')}"
    )
    return json_response({"data": {"image_url_data": uri, "secret": secret}})


@client_route("POST", "/account/two-factor")
async def two_factor_enable(ctx: ClientCtx) -> web.Response:
    state, user = ctx.state, ctx.user
    data = http.validate(ctx.input(), {"code": "required|string|size:6", "password": "required|string"})
    if not State.check_password(user, data["password"]):
        raise bad_request(NOT_VALID_PASSWORD)
    if not totp_valid(user.get("totp_secret"), data["code"], state.time()):
        raise display_error(
            "The provided two-factor authentication token was not valid.", "TwoFactorAuthenticationTokenInvalid"
        )
    tokens = [random_string(10) for _unused in range(10)]
    state.update(
        "users",
        user,
        {
            "use_totp": True,
            "totp_authenticated_at": state.now(),
            "recovery_tokens": [hashlib.sha256(token.encode()).hexdigest() for token in tokens],
        },
    )
    ctx.log("user:two-factor.create")
    return json_response({"object": "recovery_tokens", "attributes": {"tokens": tokens}})


@client_route("POST", "/account/two-factor/disable")
async def two_factor_disable(ctx: ClientCtx) -> web.Response:
    state, user = ctx.state, ctx.user
    password = ctx.input().get("password")
    if not isinstance(password, str) or not State.check_password(user, password):
        raise bad_request(NOT_VALID_PASSWORD)
    state.update("users", user, {"use_totp": False, "totp_authenticated_at": state.now()})
    ctx.log("user:two-factor.delete")
    return empty_response(204)


@client_route("PUT", "/account/email")
async def update_email(ctx: ClientCtx) -> web.Response:
    state, user = ctx.state, ctx.user
    limited = state.config.has("email_change_limit")
    if limited:
        # The `throttle` route middleware (1.12.3+): 60 a minute per user; its headers replace the api.client ones.
        throttle(ctx.request, "throttle:account.email", str(user["id"]), *EMAIL_ROUTE_THROTTLE)
    data = ctx.input()
    _ensure_user_password(ctx, data.get("password"))
    unique = Check(
        "unique",
        lambda value, path, d: (
            not any(
                http.collation_key(other["email"]) == http.collation_key(value) and other["id"] != user["id"]
                for other in state.tables["users"].values()
            )
        ),
    )
    http.validate(data, {"email": http.user_email_rules(state.config, unique)})
    original = user["email"]
    if not limited:
        if data["email"] != original:
            state.update("users", user, {"email": data["email"]})
            ctx.log("user:account.email-changed", {"old": original, "new": data["email"]})
        return empty_response(204)
    # Panel 1.12.3+: 3 real changes a day, checked before the comparison (so even the same address is refused);
    # the same address (any case) changes nothing and is not counted.
    limiter, key = ctx.request.app["rate_limiter"], user["uuid"]
    if limiter.attempts(EMAIL_CHANGE_LIMITER, key, EMAIL_CHANGE_PERIOD) >= EMAIL_CHANGES_PER_DAY:
        raise ApiError(
            429,
            "TooManyRequestsHttpException",
            "Your email address has been changed too many times today. Please try again later.",
        )
    if str(data["email"]).lower() != original.lower():
        state.update("users", user, {"email": data["email"]})
        limiter.hit(EMAIL_CHANGE_LIMITER, key, EMAIL_CHANGES_PER_DAY, EMAIL_CHANGE_PERIOD)
        ctx.log("user:account.email-changed", {"old": original, "new": data["email"]})
    return empty_response(204)


EMAIL_CHANGE_LIMITER = "user:update-email"
EMAIL_CHANGES_PER_DAY, EMAIL_CHANGE_PERIOD = 3, 86400.0
EMAIL_ROUTE_THROTTLE = (60, 60.0)  # Laravel's bare `throttle` middleware: 60 a minute per user


@client_route("PUT", "/account/password")
async def update_password(ctx: ClientCtx) -> web.Response:
    state, user = ctx.state, ctx.user
    data = ctx.input()
    _ensure_user_password(ctx, data.get("current_password"))
    http.validate(data, {"password": "required|string|confirmed|min:8"})
    state.set_password(user, data["password"])
    state.update("users", user, {})
    user["updated_at"] = state.now()
    ctx.log("user:account.password-changed")
    deauthorize(ctx.app, user, None)  # panel 1.12.1+
    return empty_response(204)


def _account_keys(ctx: ClientCtx) -> list[Row]:
    return [
        key
        for key in ctx.state.rows("api_keys")
        if key["user_id"] == ctx.user["id"] and key["key_type"] == KEY_TYPE_ACCOUNT
    ]


@client_route("GET", "/account/api-keys")
async def list_api_keys(ctx: ClientCtx) -> web.Response:
    return json_response(list_envelope([item("api_key", api_key_attributes(key)) for key in _account_keys(ctx)]))


def _valid_ip_or_cidr(text: Any) -> bool:
    if not isinstance(text, str):
        return False
    try:
        if "/" in text:
            ipaddress.ip_network(text, strict=False)
        else:
            ipaddress.ip_address(text)
        return True
    except ValueError:
        return False


@client_route("POST", "/account/api-keys")
async def create_api_key(ctx: ClientCtx) -> web.Response:
    state, user = ctx.state, ctx.user
    data = ctx.input()
    failures = http.collect_failures(
        data,
        {"description": "required|string|max:500", "allowed_ips": "nullable|array|max:50", "allowed_ips.*": "string"},
    )
    ips = data.get("allowed_ips")
    if isinstance(ips, list):
        for index, ip in enumerate(ips):
            if not _valid_ip_or_cidr(ip):
                failures.append(
                    (f"allowed_ips.{index}", "", f'"{http.to_php_string(ip)}" is not a valid IP address or CIDR range.')
                )
    if failures:
        raise ValidationFailed(failures)
    if len(_account_keys(ctx)) >= int(state.config.api_key_limit):
        raise display_error("You have reached the account limit for number of API keys.")
    secret = random_string(32)
    row: dict[str, Any] = {
        "user_id": user["id"],
        "key_type": KEY_TYPE_ACCOUNT,
        "identifier": key_prefixes(state.config)[1] + random_string(11),
        "token": secret,
        "memo": data.get("description") or "",
        "allowed_ips": list(ips or []),
        "last_used_at": None,
        "expires_at": None,
    }
    # An account key carries the application ACL columns too, all zero (it never reaches the application API).
    row.update(dict.fromkeys(ACL_RESOURCES, 0))
    key = state.insert("api_keys", row)
    ctx.log("user:api-key.create", {"identifier": key["identifier"]})
    return json_response(item("api_key", api_key_attributes(key), meta={"secret_token": secret}))


@client_route("DELETE", "/account/api-keys/{identifier}")
async def delete_api_key(ctx: ClientCtx) -> web.Response:
    state, user = ctx.state, ctx.user
    key = state.find(
        "api_keys", user_id=user["id"], key_type=KEY_TYPE_ACCOUNT, identifier=ctx.request.match_info["identifier"]
    )
    if key is None:
        raise not_found(BINDING_NOT_FOUND)
    ctx.log("user:api-key.delete", {"identifier": key["identifier"]})
    state.delete("api_keys", key["id"])
    return empty_response(204)


@client_route("GET", "/account/ssh-keys")
async def list_ssh_keys(ctx: ClientCtx) -> web.Response:
    state, user = ctx.state, ctx.user
    keys = state.select("ssh_keys", user_id=user["id"])
    return json_response(list_envelope([item("ssh_key", ssh_key_attributes(key)) for key in keys]))


@client_route("POST", "/account/ssh-keys")
async def create_ssh_key(ctx: ClientCtx) -> web.Response:
    state, user = ctx.state, ctx.user
    data = ctx.input()
    checked = state.config.has("ssh_key_prefixes")
    failures = http.collect_failures(
        data, {"name": "required|string", "public_key": "required|string" + ("|max:16384" if checked else "")}
    )
    parsed: tuple[str, str] | None = None
    given = data.get("public_key")
    public_key = given if isinstance(given, str) else ""
    # The after-hook runs even when the rules failed (Laravel runs after callbacks regardless); 1.14.1 skips it
    # when there is no key at all.
    try:
        if checked and not public_key:
            pass
        elif checked and not public_key.strip().startswith(SSH_KEY_PREFIXES):
            raise SshKeyError("The public key provided is not valid.")
        else:
            parsed = parse_public_key(public_key)
    except SshKeyError as error:
        failures.append(("public_key", "", str(error)))
    if parsed is not None and state.find("ssh_keys", user_id=user["id"], fingerprint=parsed[1]) is not None:
        failures.append(("public_key", "", "The public key provided already exists on your account."))
    if failures:
        raise ValidationFailed(failures)
    assert parsed is not None
    key = state.insert(
        "ssh_keys", {"user_id": user["id"], "name": data["name"], "public_key": parsed[0], "fingerprint": parsed[1]}
    )
    ctx.log("user:ssh-key.create", {"fingerprint": parsed[1]})
    return json_response(item("ssh_key", ssh_key_attributes(key)))


@client_route("POST", "/account/ssh-keys/remove")
async def remove_ssh_key(ctx: ClientCtx) -> web.Response:
    state, user = ctx.state, ctx.user
    data = http.validate(ctx.input(), {"fingerprint": "required|string"})
    key = state.find("ssh_keys", user_id=user["id"], fingerprint=data["fingerprint"])
    if key is not None:
        state.delete("ssh_keys", key["id"])
        ctx.log("user:ssh-key.delete", {"fingerprint": key["fingerprint"]})
    return empty_response(204)
