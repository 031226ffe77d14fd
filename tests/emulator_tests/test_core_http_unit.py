"""In-process tests of the emulator's HTTP building blocks (validator, input parsing, pagination, filters)."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from aiohttp.test_utils import make_mocked_request

from ptero_emulator.config import EmulatorConfig
from ptero_emulator.http import (
    ApiError,
    Check,
    ValidationFailed,
    apply_filters,
    apply_sort,
    includes,
    normalize_input,
    paginate,
    parse_php_pairs,
    parse_query,
    sub_includes,
    validate,
)
from ptero_emulator.ratelimit import RateLimiter
from ptero_emulator.state import State, database_hashid, decode_database_hashid

# Mocked requests use string storage keys like the emulator does.
pytestmark = pytest.mark.filterwarnings("ignore::aiohttp.web_exceptions.NotAppKeyWarning")


def failures(data: dict[str, Any], rules: dict[str, Any], **kwargs: Any) -> list[tuple[str, str, str]]:
    with pytest.raises(ValidationFailed) as caught:
        validate(data, rules, **kwargs)
    return caught.value.failures


def test_required_messages_and_attribute_names() -> None:
    assert failures({}, {"first_name": "required|string"}) == [
        ("first_name", "required", "The first name field is required.")
    ]
    assert failures({"limits": {}}, {"limits.memory": "required|numeric"}) == [
        ("limits.memory", "required", "The limits.memory field is required.")
    ]


def test_required_stops_further_rules_but_other_failures_accumulate() -> None:
    result = failures({"email": "x" * 200}, {"email": "required|email|between:1,191"})
    assert [rule for _unused, rule, _unused in result] == ["email", "between"]
    assert result[1][2] == "The email must be between 1 and 191 characters."


def test_size_rules_depend_on_type() -> None:
    assert failures({"n": 5}, {"n": "integer|min:10"})[0][2] == "The n must be at least 10."
    assert failures({"s": "abc"}, {"s": "string|min:10"})[0][2] == "The s must be at least 10 characters."
    assert failures({"a": [1]}, {"a": "array|min:2"})[0][2] == "The a must have at least 2 items."
    assert failures({"n": 2000}, {"n": "numeric|max:1000"})[0][2] == "The n may not be greater than 1000."


def test_sometimes_nullable_and_present() -> None:
    assert validate({}, {"x": "sometimes|integer"}) == {}
    assert validate({"x": None}, {"x": "nullable|integer"}) == {"x": None}
    assert failures({"x": None}, {"x": "integer"})[0][1] == "integer"
    assert failures({}, {"env": "present|array"}) == [("env", "present", "The env field must be present.")]
    assert validate({"env": {}}, {"env": "present|array"}) == {"env": {}}


def test_wildcards_required_with_and_without() -> None:
    result = failures({"ports": ["25565", 7]}, {"ports": "required|array", "ports.*": "string"})
    assert result == [("ports.1", "string", "The ports.1 must be a string.")]
    assert failures({"deploy": {"x": 1}}, {"deploy.dedicated_ip": "required_with:deploy,boolean"})[0][2] == (
        "The deploy.dedicated ip field is required when deploy / boolean is present."
    )
    assert failures({}, {"memory": "required_without:limits|numeric"})[0][1] == "required_without"
    assert validate({"limits": {"memory": 1}}, {"memory": "required_without:limits|numeric"}) == {}


def test_regex_in_boolean_alpha_dash_and_custom_checks() -> None:
    rules = {"jar": r"required|regex:/^([\w\d._-]+)(\.jar)$/"}
    assert validate({"jar": "server.jar"}, rules)["jar"] == "server.jar"
    assert failures({"jar": "server.zip"}, rules)[0][:2] == ("jar", "regex")
    assert failures({"b": "yes"}, {"b": "boolean"})[0][2] == "The b field must be true or false."
    assert validate({"b": "1"}, {"b": "boolean"}) == {"b": "1"}
    assert failures({"t": "x"}, {"t": "in:a,b"})[0][2] == "The selected t is invalid."
    assert failures({"d": "bad name"}, {"d": "alpha_dash"})[0][1] == "alpha_dash"
    taken = Check("unique", lambda value, path, data: value != "taken")
    assert failures({"u": "taken"}, {"u": ["required", taken]})[0][2] == "The u has already been taken."
    assert failures({"u": "-ab"}, {"u": "p_username"})[0][1] == "p_username"
    assert validate({"u": "ABC"}, {"u": "p_username"}) == {"u": "ABC"}  # checked lowercased


def test_custom_attribute_names_for_egg_variables() -> None:
    result = failures(
        {"environment": {"SERVER_JARFILE": None}},
        {"environment.SERVER_JARFILE": "required"},
        attributes={"environment.SERVER_JARFILE": "Server Jar File variable"},
    )
    assert result == [("environment.SERVER_JARFILE", "required", "The Server Jar File variable field is required.")]


def test_validation_error_body_has_one_entry_per_message() -> None:
    error = ValidationFailed([("a", "required", "The a field is required."), ("b", "integer", "The b must be.")])
    body = error.body()
    assert [e["meta"] for e in body["errors"]] == [
        {"source_field": "a", "rule": "required"},
        {"source_field": "b", "rule": "integer"},
    ]
    assert {e["status"] for e in body["errors"]} == {"422"}


def test_php_style_query_parsing_and_normalisation() -> None:
    assert parse_php_pairs(
        [("filter[name]", "x"), ("location_ids[]", "1"), ("location_ids[]", "2"), ("a[b][c]", "d")]
    ) == {"filter": {"name": "x"}, "location_ids": ["1", "2"], "a": {"b": {"c": "d"}}}
    assert parse_query("include=%20servers%20&x=") == {"include": "servers", "x": None}
    assert normalize_input({"a": "  b ", "c": "", "d": [" e "]}) == {"a": "b", "c": None, "d": ["e"]}
    assert normalize_input(" keep ", trim=False) == " keep "


def _request(path: str) -> Any:
    request = make_mocked_request("GET", path, headers={"Host": "panel.test"})
    return request


def test_pagination_meta_and_links() -> None:
    rows = [{"id": i} for i in range(1, 8)]
    page = paginate(
        _request("/api/application/users?page=2&per_page=3&filter[x]=y"),
        rows,
        lambda r: {"object": "x", "attributes": r},
    )
    meta = page["meta"]["pagination"]
    assert [d["attributes"]["id"] for d in page["data"]] == [4, 5, 6]
    assert (meta["total"], meta["count"], meta["per_page"], meta["current_page"], meta["total_pages"]) == (
        7,
        3,
        3,
        2,
        3,
    )
    assert meta["links"] == {
        "previous": "http://panel.test/api/application/users?page=1",
        "next": "http://panel.test/api/application/users?page=3",
    }
    client = paginate(
        _request("/api/client?per_page=500&page=1&filter%5Bname%5D=a"),
        rows,
        lambda r: r,
        default_per_page=50,
        max_per_page=100,
        app_links=False,
    )
    assert client["meta"]["pagination"]["per_page"] == 100
    assert client["meta"]["pagination"]["links"] == {}
    second = paginate(
        _request("/api/client?per_page=2&filter%5Bname%5D=a"), rows, lambda r: r, max_per_page=100, app_links=False
    )
    assert second["meta"]["pagination"]["links"]["next"] == (
        "http://panel.test/api/client?per_page=2&filter%5Bname%5D=a&page=2"
    )


def test_pagination_edge_cases() -> None:
    empty = paginate(_request("/x?page=abc"), [], lambda r: r)
    assert empty["meta"]["pagination"] == {
        "total": 0,
        "count": 0,
        "per_page": 50,
        "current_page": 1,
        "total_pages": 1,
        "links": {},
    }
    beyond = paginate(_request("/x?page=9"), [{"id": 1}], lambda r: r)
    assert beyond["data"] == [] and beyond["meta"]["pagination"]["current_page"] == 9
    assert paginate(_request("/x?per_page=0"), [], lambda r: r)["meta"]["pagination"]["per_page"] == 15
    with pytest.raises(ApiError) as caught:
        paginate(_request("/x?per_page=abc"), [], lambda r: r)
    assert caught.value.status == 500


def test_filters_and_sorts() -> None:
    rows = [
        {"id": 1, "name": "Alpha", "port": 25565},
        {"id": 2, "name": "beta", "port": 25566},
        {"id": 3, "name": "Gamma", "port": 25567},
    ]
    allowed = {"name": ("name", "partial"), "port": ("port", "exact")}
    assert [r["id"] for r in apply_filters(rows, {"filter": {"name": "A"}}, allowed)] == [1, 2, 3]
    assert [r["id"] for r in apply_filters(rows, {"filter": {"name": "alp,gam"}}, allowed)] == [1, 3]
    assert [r["id"] for r in apply_filters(rows, {"filter": {"port": "25566"}}, allowed)] == [2]
    with pytest.raises(ApiError) as caught:
        apply_filters(rows, {"filter": {"nope": "x"}}, allowed)
    assert caught.value.code == "InvalidFilterQuery"
    assert caught.value.detail == "Requested filter(s) `nope` are not allowed. Allowed filter(s) are `name, port`."
    assert [r["id"] for r in apply_sort(rows, {"sort": "-id"}, ["id"])] == [3, 2, 1]
    with pytest.raises(ApiError) as caught:
        apply_sort(rows, {"sort": "name"}, ["id"])
    assert (caught.value.status, caught.value.code) == (400, "InvalidSortQuery")
    assert apply_sort(rows, {"sort": "whatever"}, []) == rows


def test_includes_and_nesting() -> None:
    requested = includes(_request("/x?include=allocations.node,user,a.b.c"))
    assert requested == {"allocations", "allocations.node", "user", "a", "a.b"}
    assert sub_includes(requested, "allocations") == {"node"}


def test_rate_limiter_window() -> None:
    now = [1000.0]
    limiter = RateLimiter(clock=lambda: now[0])
    decisions = [limiter.hit("api", "u", 2, 60) for _unused in range(3)]
    assert [d.allowed for d in decisions] == [True, True, False]
    assert decisions[0].remaining == 1 and decisions[2].retry_after == 60
    now[0] += 60
    assert limiter.hit("api", "u", 2, 60).allowed


def test_state_timers_advance_and_persistence() -> None:
    state = State(EmulatorConfig())
    fired: list[str] = []
    state.later(100, lambda: fired.append("late"), kind="install")
    state.later(1, lambda: fired.append("soon"), kind="backup")
    assert state.advance(kind="backup") == 1 and fired == ["soon"]
    assert state.advance(seconds=50) == 0
    assert state.advance(seconds=60) == 1 and fired == ["soon", "late"]
    state.insert("locations", {"short": "a", "long": None})
    copy = State.from_json(state.to_json())
    assert copy.get("locations", 1)["short"] == "a"
    assert copy.next_id("locations") == 2


def test_database_hashids_round_trip() -> None:
    for database_id in (1, 2, 99, 123456):
        encoded = database_hashid(database_id)
        assert len(encoded) >= 8 and decode_database_hashid(encoded) == database_id
    assert decode_database_hashid("short") is None


def test_timers_run_on_the_loop() -> None:
    async def scenario() -> list[str]:
        state = State(EmulatorConfig())
        state.attach_loop(asyncio.get_running_loop())
        fired: list[str] = []
        state.later(0.01, lambda: fired.append("x"))
        await asyncio.sleep(0.1)
        return fired

    assert asyncio.run(scenario()) == ["x"]
