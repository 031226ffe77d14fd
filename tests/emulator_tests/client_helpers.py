"""Shared helpers for the client API tests: start an emulator process on a prepared data set and talk to it.

Each test module starts its own emulator (module scope) from a state file built in-process: the "demo" seed plus
whatever the module needs (suspended servers, a node in maintenance, a stranger account...). Keys are read back
from the state so every account can be used.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import requests

from ptero_emulator.config import EmulatorConfig
from ptero_emulator.fixture import RunningEmulator, module_emulator_fixture, start_emulator, wait_until
from ptero_emulator.seed import add_api_key, add_user, seed_state
from ptero_emulator.state import KEY_TYPE_ACCOUNT, KEY_TYPE_APPLICATION, State

FAST_TIMINGS: dict[str, Any] = {
    "install_seconds": 0.3,
    "power_seconds": 0.1,
    "backup_seconds": 0.2,
    "restore_seconds": 0.2,
}
REQUEST_TIMEOUT = 15.0


def add_client_key(state: State, user: dict[str, Any], memo: str) -> str:
    """A new account key for ``user``; returns the full bearer token."""
    identifier = "ptlc_" + state.random_string(11)
    secret = state.random_string(32)
    add_api_key(state, user, KEY_TYPE_ACCOUNT, identifier, secret, memo)
    return identifier + secret


def key_of(state: State, username: str) -> str:
    user = state.find("users", username=username)
    assert user is not None
    key = state.find("api_keys", user_id=user["id"], key_type=KEY_TYPE_ACCOUNT)
    assert key is not None
    return key["identifier"] + key["token"]


@dataclass
class ClientEnv:
    """A running emulator plus the bearer tokens of the accounts and facts about the data set."""

    emulator: RunningEmulator
    keys: dict[str, str]
    facts: dict[str, Any]
    session: requests.Session

    @property
    def url(self) -> str:
        return self.emulator.url

    def stop(self) -> None:
        self.emulator.stop()

    def call(
        self,
        method: str,
        path: str,
        who: str = "player",
        json: Any = None,
        params: Any = None,
        data: bytes | str | None = None,
        headers: dict[str, str] | None = None,
    ) -> requests.Response:
        all_headers = {"Accept": "application/json", "Authorization": f"Bearer {self.keys[who]}"}
        if data is None:
            all_headers["Content-Type"] = "application/json"
        all_headers.update(headers or {})
        return self.session.request(
            method, self.url + path, json=json, params=params, data=data, headers=all_headers, timeout=REQUEST_TIMEOUT
        )

    def get(self, path: str, who: str = "player", **kwargs: Any) -> requests.Response:
        return self.call("GET", path, who, **kwargs)

    def post(self, path: str, who: str = "player", **kwargs: Any) -> requests.Response:
        return self.call("POST", path, who, **kwargs)

    def put(self, path: str, who: str = "player", **kwargs: Any) -> requests.Response:
        return self.call("PUT", path, who, **kwargs)

    def delete(self, path: str, who: str = "player", **kwargs: Any) -> requests.Response:
        return self.call("DELETE", path, who, **kwargs)

    def rows(self, table: str) -> list[dict[str, Any]]:
        return self.emulator.state(table)

    def configure(self, **changes: Any) -> None:
        self.emulator.configure(**changes)

    def advance(self, kind: str | None = None) -> int:
        return self.emulator.advance(kind)

    def wait_for(self, predicate: Callable[[], bool], timeout: float = 10.0, interval: float = 0.05) -> None:
        wait_until(predicate, timeout, interval)


def start_client_env(
    tmp_path: Path, prepare: Callable[[State], dict[str, Any]] | None = None, **config: Any
) -> ClientEnv:
    """Seed "demo" in-process, let ``prepare`` add data (it returns facts for the tests), save it as the state file
    and start the emulator on it. Accounts: admin, player (owner of the demo servers), helper (subuser)."""
    state = State(EmulatorConfig(seed="demo"))
    seed_state(state, "demo")
    facts: dict[str, Any] = {}
    stranger = add_user(state, "stranger", "stranger@example.com", "Sam", "Stranger", "stranger-password")
    keys = {
        "admin": key_of(state, "admin"),
        "player": key_of(state, "player"),
        "helper": key_of(state, "helper"),
        "stranger": add_client_key(state, stranger, "stranger key"),
        "application": _application_key(state),
    }
    survival = state.find("servers", name="Survival")
    assert survival is not None
    facts["survival"] = survival["uuid_short"]
    facts["survival_uuid"] = survival["uuid"]
    facts["creative"] = state.find("servers", name="Creative")["uuid_short"]
    facts["rust"] = state.find("servers", name="Rust Island")["uuid_short"]
    if prepare is not None:
        facts.update(prepare(state))
    for name, user_name in facts.pop("_extra_keys", {}).items():
        keys[name] = key_of(state, user_name)
    state_file = tmp_path / "client-state.json"
    state.save(str(state_file))
    settings = dict(FAST_TIMINGS)
    settings.update(config)
    emulator = start_emulator(tmp_path, seed="demo", state_file=str(state_file), **settings)
    return ClientEnv(emulator=emulator, keys=keys, facts=facts, session=requests.Session())


def _application_key(state: State) -> str:
    key = state.find("api_keys", key_type=KEY_TYPE_APPLICATION)
    assert key is not None
    return key["identifier"] + key["token"]


def error_of(response: requests.Response) -> dict[str, Any]:
    """The first entry of a panel error body."""
    body = response.json()
    assert "errors" in body, body
    return body["errors"][0]


def assert_error(response: requests.Response, status: int, code: str, detail: str | None = None) -> dict[str, Any]:
    assert response.status_code == status, (response.status_code, response.text[:500])
    entry = error_of(response)
    assert entry["code"] == code, entry
    assert entry["status"] == str(status), entry
    if detail is not None:
        assert entry["detail"] == detail, entry
    return entry


def validation_fields(response: requests.Response) -> list[tuple[str, str]]:
    """(source_field, rule) of every 422 entry."""
    assert response.status_code == 422, (response.status_code, response.text[:500])
    return [(entry["meta"]["source_field"], entry["meta"]["rule"]) for entry in response.json()["errors"]]


def add_extra_server(
    state: State,
    name: str,
    owner: str = "player",
    egg: str = "Paper",
    node_name: str = "fra-node-1",
    limits: tuple[int | None, int | None, int | None] = (1, 1, 1),
    status: str | None = None,
) -> dict[str, Any]:
    """A further installed server on a free allocation of ``node_name``; ``status`` is set as given."""
    from ptero_emulator.seed import add_server

    owner_row = state.find("users", username=owner)
    egg_row = state.find("eggs", name=egg)
    node = state.find("nodes", name=node_name)
    assert owner_row and egg_row and node
    allocation = next(a for a in state.rows("allocations") if a["node_id"] == node["id"] and a["server_id"] is None)
    server = add_server(state, name, owner_row, egg_row, allocation, limits=(1, 1, 1))
    server["database_limit"], server["allocation_limit"], server["backup_limit"] = limits
    server["status"] = status
    return server


def add_subuser(state: State, username: str, server: dict[str, Any], permissions: list[str]) -> dict[str, Any]:
    user = state.find("users", username=username)
    if user is None:
        user = add_user(state, username, f"{username}@example.com", "Sub", "User", f"{username}-password")
        add_client_key(state, user, f"{username} key")
    return state.insert("subusers", {"user_id": user["id"], "server_id": server["id"], "permissions": permissions})


def client_env_fixture(
    name: str, panel_version: str, prepare: Callable[[State], dict[str, Any]] | None = None, **config: Any
) -> Any:
    """A module-scoped fixture: a ClientEnv (see start_client_env) on an emulator playing ``panel_version``,
    stopped after the module. ``env = client_env_fixture("email", "1.14")`` in a test module."""
    return module_emulator_fixture(
        f"{name}-{panel_version}",
        lambda directory: start_client_env(directory, prepare, panel_version=panel_version, **config),
    )
