"""The schedule module's task reconciliation against a model of the panel's sequence_id rules."""

from __future__ import annotations

import random
import typing as t

from ansible_collections.ptero.panel.plugins.module_utils._schedules import task_view, with_tasks
from ansible_collections.ptero.panel.plugins.modules.schedule import Schedule

SERVER = {"uuid": "6f1c2a4e-0000-4000-8000-000000000001", "name": "Survival"}


class TaskPanel:
    """The panel's task routes: create appends or inserts, update moves and renumbers, delete closes the gap."""

    def __init__(self, tasks: list[dict[str, t.Any]]) -> None:
        self.tasks = {task["id"]: dict(task) for task in tasks}
        self.next_id = max(self.tasks, default=0) + 1
        self.calls: list[str] = []

    def call(
        self, operation: str, path: dict[str, t.Any], body: dict[str, t.Any] | None = None, what: str = ""
    ) -> t.Any:
        self.calls.append(operation.rsplit(".", 1)[-1])
        if operation == "client.schedule_tasks.delete":
            gone = self.tasks.pop(path["task"])
            for task in self.tasks.values():
                if task["sequence_id"] > gone["sequence_id"]:
                    task["sequence_id"] -= 1
            return None
        assert body is not None
        if operation == "client.schedule_tasks.create":
            sequence = max((task["sequence_id"] for task in self.tasks.values()), default=0) + 1
            wanted = body.get("sequence_id", sequence)
            if wanted < sequence:
                for task in self.tasks.values():
                    if task["sequence_id"] >= wanted:
                        task["sequence_id"] += 1
                sequence = wanted
            task = {**body, "id": self.next_id, "sequence_id": sequence}
            self.tasks[self.next_id] = task
            self.next_id += 1
            return task
        assert operation == "client.schedule_tasks.update"
        task = self.tasks[path["task"]]
        current, wanted = task["sequence_id"], body["sequence_id"]
        for other in self.tasks.values():
            if other is task:
                continue
            if wanted < current and wanted <= other["sequence_id"] < current:
                other["sequence_id"] += 1
            elif wanted > current and current < other["sequence_id"] <= wanted:
                other["sequence_id"] -= 1
        task.update(body)
        return task

    def ordered(self) -> list[dict[str, t.Any]]:
        return with_tasks({"relationships": {"tasks": list(self.tasks.values())}})["tasks"]


class FakeModule:
    def __init__(self, panel: TaskPanel) -> None:
        self.client = panel
        self.params = {"name": "Nightly restart"}
        self.call = panel.call


def task(number: int, sequence_id: int, action: str = "command", payload: str | None = None) -> dict[str, t.Any]:
    return {
        "id": number,
        "sequence_id": sequence_id,
        "action": action,
        "payload": payload or f"say {number}",
        "time_offset": 0,
        "continue_on_failure": False,
    }


def reconcile(current: list[dict[str, t.Any]], wanted: list[dict[str, t.Any]]) -> TaskPanel:
    panel = TaskPanel(current)
    schedule = Schedule(FakeModule(panel), SERVER)
    schedule.reconcile_tasks(1, panel.ordered(), [task_view(w) for w in wanted])
    return panel


def test_tasks_already_in_place_send_nothing():
    current = [task(1, 1), task(2, 2, "power", "restart")]
    panel = reconcile(current, current)
    assert panel.calls == []
    assert not Schedule.tasks_differ(
        with_tasks({"relationships": {"tasks": current}})["tasks"], [task_view(c) for c in current]
    )


def test_reorder_shrink_and_grow():
    current = [task(1, 1), task(2, 2), task(3, 3)]
    wanted = [task(9, 0, "power", "start"), task(2, 0)]
    panel = reconcile(current, wanted)
    assert panel.calls == ["delete", "update"]
    assert [task_view(t) for t in panel.ordered()] == [task_view(w) for w in wanted]

    grown = [*wanted, task(8, 0, "backup", ""), task(7, 0)]
    panel = reconcile(panel.ordered(), grown)
    assert panel.calls == ["create", "create"]
    assert [t["sequence_id"] for t in panel.ordered()] == [1, 2, 3, 4]
    assert [task_view(t) for t in panel.ordered()] == [task_view(w) for w in grown]


def test_gaps_in_sequence_ids_are_closed():
    current = [task(1, 2), task(2, 5), task(3, 9)]
    panel = reconcile(current, [task(1, 0), task(2, 0)])
    ordered = panel.ordered()
    assert [t["sequence_id"] for t in ordered] == [1, 2]
    assert [t["id"] for t in ordered] == [1, 2]
    assert Schedule.tasks_differ(
        with_tasks({"relationships": {"tasks": current}})["tasks"], [task_view(t) for t in ordered]
    )


def test_random_schedules_end_as_declared():
    rng = random.Random(20260101)
    actions = [("command", "say a"), ("command", "say b"), ("power", "restart"), ("power", "stop"), ("backup", "")]
    for _round in range(300):
        sequence_ids = sorted(rng.sample(range(1, 15), rng.randint(0, 6)))
        current = [task(number, sequence, *rng.choice(actions)) for number, sequence in enumerate(sequence_ids, 1)]
        wanted = [task(0, 0, *rng.choice(actions)) for _index in range(rng.randint(0, 6))]
        panel = reconcile(current, wanted)
        ordered = panel.ordered()
        assert [t["sequence_id"] for t in ordered] == list(range(1, len(wanted) + 1)), (current, wanted)
        assert [task_view(t) for t in ordered] == [task_view(w) for w in wanted], (current, wanted)
        assert not Schedule.tasks_differ(ordered, [task_view(w) for w in wanted])
