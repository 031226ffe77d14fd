"""The find -> compare -> create/update/delete engine of module_utils/_module.py, with an in-memory resource."""

from __future__ import annotations

import typing as t

import pytest

from ansible_collections.ptero.panel.plugins.module_utils._client import PanelError
from ansible_collections.ptero.panel.plugins.module_utils._module import (
    PanelModule,
    PanelResource,
    changed_fields,
    differs,
    overlay,
    without_none,
)


class Store:
    """What the fake panel holds, and every write it received."""

    def __init__(self, objects=None):
        self.objects = dict(objects or {})
        self.writes: list[tuple[str, str]] = []
        self.lose_create_answer = False


class Widget(PanelResource):
    result_key = "widget"
    managed_fields = ("name", "size", "colour", "limits")
    create_only = ("colour",)
    create_requires = ("size",)
    create_defaults: t.Mapping[str, t.Any] = {"limits": {"cpu": 100}}
    store: Store

    def describe(self, obj=None):
        return f"widget '{(obj or self.params)['name']}'"

    def find(self):
        return self.store.objects.get(self.params["name"])

    def desired(self):
        return without_none({key: self.params[key] for key in ("name", "size", "colour", "limits")})

    def create(self, desired):
        self.store.writes.append(("create", desired["name"]))
        self.store.objects[desired["name"]] = {"id": 1, **desired}
        if self.store.lose_create_answer:
            raise PanelError("POST", "/widgets", 502, code="BadGateway", detail="lost", write_state="unknown")
        return self.store.objects[desired["name"]]

    def update(self, current, desired):
        self.store.writes.append(("update", current["name"]))
        self.store.objects[current["name"]] = overlay(current, desired)
        return self.store.objects[current["name"]]

    def delete(self, current):
        self.store.writes.append(("delete", current["name"]))
        del self.store.objects[current["name"]]


def widget_main(store):
    def main():
        module = PanelModule(
            {
                "name": {"type": "str", "required": True},
                "size": {"type": "int"},
                "colour": {"type": "str"},
                "limits": {"type": "dict"},
                "state": {"type": "str", "default": "present", "choices": ["present", "absent"]},
            },
            api="application",
        )
        resource = Widget(module)
        resource.store = store
        with module.failures_reported():
            outcome = module.ensure(resource, module.params["state"])
        module.exit_json(**outcome.result())

    return main


def test_create_then_noop(run_module):
    store = Store()
    created = run_module(widget_main(store), {"name": "w", "size": 3}, diff=True)
    assert created.result["changed"] is True
    assert created.result["widget"]["limits"] == {"cpu": 100}, "create defaults apply on create"
    assert created.result["diff"] == {"before": {}, "after": {"name": "w", "size": 3, "limits": {"cpu": 100}}}
    again = run_module(widget_main(store), {"name": "w", "size": 3})
    assert again.result["changed"] is False
    assert store.writes == [("create", "w")]


def test_check_mode_predicts_and_writes_nothing(run_module):
    store = Store({"w": {"id": 1, "name": "w", "size": 3, "limits": {"cpu": 100, "memory": 5}}})
    result = run_module(widget_main(store), {"name": "w", "size": 4, "limits": {"memory": 6}}, check_mode=True).result
    assert result["changed"] is True
    assert result["changed_fields"] == ["limits", "size"]
    assert result["widget"]["limits"] == {"cpu": 100, "memory": 6}, "nested dicts are overlaid, not replaced"
    created = run_module(widget_main(store), {"name": "new", "size": 1}, check_mode=True).result
    assert created["changed"] is True and created["widget"]["name"] == "new"
    deleted = run_module(widget_main(store), {"name": "w", "state": "absent"}, check_mode=True).result
    assert deleted["changed"] is True
    assert store.writes == []


def test_update_reports_only_changed_fields_in_diff_view(run_module):
    store = Store({"w": {"id": 1, "name": "w", "size": 3, "secret": "x"}})
    result = run_module(widget_main(store), {"name": "w", "size": 5}, diff=True).result
    assert result["diff"] == {"before": {"name": "w", "size": 3}, "after": {"name": "w", "size": 5}}
    assert store.writes == [("update", "w")]


def test_create_only_field_fails(run_module):
    # There is no `force`: the panel cannot change a create-only field, so a difference always fails, naming it.
    store = Store({"w": {"id": 1, "name": "w", "size": 3, "colour": "red"}})
    refused = run_module(widget_main(store), {"name": "w", "colour": "blue"})
    assert refused.failed and "colour can only be set when it is created" in refused.result["msg"]
    assert refused.result["changed"] is False
    assert store.writes == []


def test_create_requires_names_missing_options(run_module):
    outcome = run_module(widget_main(Store()), {"name": "w"})
    assert outcome.failed and outcome.result["msg"] == "widget 'w' does not exist; to create it, also set: size"


def test_absent_twice(run_module):
    store = Store({"w": {"id": 1, "name": "w", "size": 3}})
    first = run_module(widget_main(store), {"name": "w", "state": "absent"}, diff=True).result
    second = run_module(widget_main(store), {"name": "w", "state": "absent"}).result
    assert first["changed"] and first["diff"]["before"] == {"name": "w", "size": 3} and first["diff"]["after"] == {}
    assert second["changed"] is False
    assert store.writes == [("delete", "w")]


def test_lost_create_answer_adopts_the_created_object(run_module):
    store = Store()
    store.lose_create_answer = True
    outcome = run_module(widget_main(store), {"name": "w", "size": 3})
    assert not outcome.failed and outcome.result["changed"] and outcome.result["widget"]["id"] == 1
    assert "was lost" in outcome.result["warnings"][0]
    assert store.writes == [("create", "w")]


def test_lost_create_answer_without_object_fails_clearly(run_module):
    store = Store()
    store.lose_create_answer = True

    main = widget_main(store)
    original_create = Widget.create

    def create_then_vanish(self, desired):
        try:
            return original_create(self, desired)
        finally:
            store.objects.clear()

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(Widget, "create", create_then_vanish)
        outcome = run_module(main, {"name": "w", "size": 3})
    assert outcome.failed and "shows no such object now" in outcome.result["msg"]


@pytest.mark.parametrize(
    ("current", "desired", "expected"),
    [
        ("", None, False),
        (None, "", False),
        (1, 1, False),
        ({"a": 1, "b": 2}, {"a": 1}, False),
        ({"a": 1, "b": 2}, {"a": 2}, True),
        ({"a": {"x": 1}}, {"a": {"x": 1, "y": None}}, False),
        (None, {"a": 1}, True),
        ([1, 2], [1, 2], False),
        ([1, 2], [2, 1], True),
    ],
)
def test_differs(current, desired, expected):
    assert differs(current, desired) is expected


def test_changed_fields_and_overlay():
    current = {"a": 1, "b": {"x": 1, "y": 2}, "c": "k"}
    desired = {"a": 1, "b": {"y": 3}, "c": ""}
    assert changed_fields(current, desired) == ["b", "c"]
    assert overlay(current, desired) == {"a": 1, "b": {"x": 1, "y": 3}, "c": ""}


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ({"timeout": 0}, "timeout: must be greater than 0, not 0"),
        ({"retries": -1}, "retries: must be at least 0, not -1"),
        ({"backoff_factor": -0.5}, "backoff_factor: must be at least 0, not -0.5"),
        ({"url": "panel.example.test"}, "url: The panel url must be an absolute http:// or https:// URL"),
    ],
)
def test_a_bad_connection_setting_is_named(run_module, args, message):
    # A timeout of 0 once failed as a `url:` problem: each setting names itself.
    outcome = run_module(widget_main(Store()), {"name": "w", **args})
    assert outcome.failed and outcome.result["msg"].startswith(message)


def test_failures_raised_below_main_are_reported_in_one_place(run_module):
    from ansible_collections.ptero.panel.plugins.module_utils._module import TaskFailure, failure_context

    def main_raising(error):
        def main():
            module = PanelModule({}, api="application")
            with module.failures_reported(), failure_context("Could not read the widget"):
                raise error

        return main

    refused = PanelError("GET", "/widgets/1", 403, code="AccessDeniedHttpException", detail="no")
    panel = run_module(main_raising(refused), {})
    assert panel.failed and panel.result["msg"].startswith("Could not read the widget: ")
    assert panel.result["error"]["status"] == 403
    late = run_module(main_raising(TaskFailure("size: must be positive", widget={"id": 1})), {})
    assert late.failed and late.result["msg"] == "size: must be positive" and late.result["widget"] == {"id": 1}
