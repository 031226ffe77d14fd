# Private to ptero.panel: not a public API.
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What every ptero.panel module shares: connection options, the client, error reporting and the
find -> compare -> create/update/delete engine with check mode and diff mode.

A resource module declares a `PanelResource` subclass (how to find the resource, which fields it manages,
which are create-only, how to create/update/delete it) and hands it to `PanelModule.ensure()`, which returns an
`Outcome`. The module's `main()` runs any follow-up step on that outcome and calls `exit_json` once.

Code below `main()` never ends the task: it raises (`TaskFailure`, or the client's `PanelError`), and
`PanelModule.failures_reported()` turns what was raised into the failed result, in one place.
"""

from __future__ import annotations

import contextlib
import dataclasses
import random
import time
import typing as t
from urllib.parse import urlsplit

from ansible.module_utils.basic import AnsibleModule, env_fallback, missing_required_lib

from ansible_collections.ptero.panel.plugins.module_utils._client import (
    HAS_REQUESTS,
    REQUESTS_IMPORT_ERROR,
    SAFE_METHODS,
    PanelClient,
    PanelError,
    SettingError,
    build_path,
)
from ansible_collections.ptero.panel.plugins.module_utils._flavour import AUTO, ENV_PANEL, PANEL_CHOICES
from ansible_collections.ptero.panel.plugins.module_utils._lookup import AmbiguousError
from ansible_collections.ptero.panel.plugins.module_utils._operations import get_operation

# What a step run by PanelModule.step() returns.
Result = t.TypeVar("Result")

ENV_URL = "PTERODACTYL_URL"
ENV_API_KEY = "PTERODACTYL_API_KEY"
ENV_CLIENT_API_KEY = "PTERODACTYL_CLIENT_API_KEY"
ENV_VALIDATE_CERTS = "PTERODACTYL_VALIDATE_CERTS"
ENV_TIMEOUT = "PTERODACTYL_TIMEOUT"

# The environment variables each API's key is read from, in order of preference.
API_KEY_ENV = {
    "application": [ENV_API_KEY],
    "client": [ENV_CLIENT_API_KEY, ENV_API_KEY],
}


def connection_argument_spec(api: str) -> dict[str, dict[str, t.Any]]:
    """The connection options documented in the `ptero.panel.connection` doc fragment."""
    return {
        "url": {"type": "str", "required": True, "fallback": (env_fallback, [ENV_URL])},
        "api_key": {"type": "str", "required": True, "no_log": True, "fallback": (env_fallback, API_KEY_ENV[api])},
        "validate_certs": {"type": "bool", "default": True, "fallback": (env_fallback, [ENV_VALIDATE_CERTS])},
        "timeout": {"type": "float", "default": 30.0, "fallback": (env_fallback, [ENV_TIMEOUT])},
        "retries": {"type": "int", "default": 5},
        "backoff_factor": {"type": "float", "default": 0.5},
        "extra_retry_codes": {"type": "list", "elements": "int", "default": []},
        "panel": {
            "type": "str",
            "default": AUTO,
            "choices": list(PANEL_CHOICES),
            "fallback": (env_fallback, [ENV_PANEL]),
        },
    }


class WriteRecordingClient(PanelClient):
    """A PanelClient that reports every write the panel accepted (`"POST /api/client/servers/x/backups"`).

    The module engine uses it to know, whatever fails later in the task, that the task already changed something.
    Every panel call of a module goes through `call_with_meta()` (`call()` uses it; lists are reads)."""

    def __init__(self, *args: t.Any, on_write: t.Callable[[str, str], None], **kwargs: t.Any) -> None:
        super().__init__(*args, **kwargs)
        self._on_write = on_write

    def call_with_meta(self, operation: str, path_params: dict[str, t.Any] | None = None, **kwargs: t.Any) -> t.Any:
        answer = super().call_with_meta(operation, path_params, **kwargs)
        op = get_operation(operation)
        if op.method not in SAFE_METHODS:
            self._on_write(operation, f"{op.method} {build_path(op, path_params)}")
        return answer


def client_from_options(
    options: t.Mapping[str, t.Any], on_write: t.Callable[[str, str], None] | None = None
) -> PanelClient:
    if on_write is not None:
        return WriteRecordingClient(
            options["url"],
            options["api_key"],
            on_write=on_write,
            validate_certs=options["validate_certs"],
            timeout=options["timeout"],
            retries=options["retries"],
            backoff_factor=options["backoff_factor"],
            extra_retry_codes=options["extra_retry_codes"] or (),
            panel=options.get("panel") or AUTO,
        )
    return PanelClient(
        options["url"],
        options["api_key"],
        validate_certs=options["validate_certs"],
        timeout=options["timeout"],
        retries=options["retries"],
        backoff_factor=options["backoff_factor"],
        extra_retry_codes=options["extra_retry_codes"] or (),
        panel=options.get("panel") or AUTO,
    )


# Past-tense words for writes whose module does not describe them itself; the request line is added to them.
WRITE_WORDS = {
    "client.servers.power": "sent a power signal",
    "client.schedules.create": "created the schedule",
    "client.schedules.update": "updated the schedule",
    "client.schedules.execute": "started the schedule",
    "client.schedule_tasks.create": "added a schedule task",
    "client.schedule_tasks.update": "updated a schedule task",
    "client.schedule_tasks.delete": "deleted a schedule task",
    "client.allocations.create": "added an allocation",
    "client.allocations.update_notes": "changed the notes of the allocation",
    "client.allocations.set_primary": "made the allocation primary",
    "client.startup.update_variable": "set a startup variable",
    "application.allocations.create": "added allocations",
    "application.allocations.delete": "deleted an allocation",
}


class TaskFailure(Exception):
    """A reason to fail the task, found below `main()`: `msg` names the option or object and says why; `result`
    holds extra keys for the failed result (the object as the panel has it, `error`, ...)."""

    def __init__(self, msg: str, **result: t.Any) -> None:
        super().__init__(msg)
        self.msg = msg
        self.result = result

    @classmethod
    def from_error(cls, error: PanelError, what: str = "", **result: t.Any) -> TaskFailure:
        """A panel error, with `what` was being done as context."""
        return cls(f"{what}: {error}" if what else str(error), error=error.to_dict(), **result)


@contextlib.contextmanager
def failure_context(what: str, **result: t.Any) -> t.Iterator[None]:
    """Re-raise a panel error or an ambiguous name inside the block as a TaskFailure that says what was being done."""
    try:
        yield
    except PanelError as error:
        raise TaskFailure.from_error(error, what, **result) from None
    except AmbiguousError as error:
        raise TaskFailure(f"{what}: {error}" if what else str(error), **result) from None


def without_none(values: t.Mapping[str, t.Any]) -> dict[str, t.Any]:
    """The options the user actually set: None means "leave alone"."""
    return {key: value for key, value in values.items() if value is not None}


def _canonical(value: t.Any) -> t.Any:
    # The panel turns "" into null on input and shows some nulls as "": treat them as one value.
    if value == "":
        return None
    return value


def differs(current: t.Any, desired: t.Any) -> bool:
    """True when `desired` is not already satisfied by `current`.

    Dicts are compared key by key for the keys the user gave (a partial `limits` leaves the rest alone);
    everything else is compared after canonicalisation.
    """
    if isinstance(desired, dict):
        if not isinstance(current, dict):
            return True
        return any(differs(current.get(key), value) for key, value in desired.items())
    return bool(_canonical(current) != _canonical(desired))


def changed_fields(current: t.Mapping[str, t.Any], desired: t.Mapping[str, t.Any]) -> list[str]:
    return sorted(key for key, value in desired.items() if differs(current.get(key), value))


def overlay(current: t.Mapping[str, t.Any], desired: t.Mapping[str, t.Any]) -> dict[str, t.Any]:
    """`current` with `desired` laid over it, recursively for dicts: the predicted state after an update."""
    merged = dict(current)
    for key, value in desired.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = overlay(merged[key], value)
        else:
            merged[key] = value
    return merged


class PanelResource:
    """Declaration of one kind of panel object, used by `PanelModule.ensure()`.

    Subclasses set the class attributes and implement `find`, `desired`, `create`, `update` and `delete`.
    Methods call the panel through `self.client` and let `PanelError` propagate: the engine adds context
    ("Could not update location 'fra1': PATCH ... -> 422 ..."). Bad input found on the way is raised as
    `TaskFailure` naming the option.
    """

    #: Key of the object in the module result (`location`, `server`, ...).
    result_key: str = ""
    #: What the object is, in words, when the message already named it ("created the SSH key"); default from result_key.
    noun: str = ""
    #: Fields shown in diffs and compared; a subset of the object's attributes.
    managed_fields: tuple[str, ...] = ()
    #: Fields the panel cannot change once the object exists: a difference fails the task, naming them.
    create_only: tuple[str, ...] = ()
    #: Module options the panel needs to create the object.
    create_requires: tuple[str, ...] = ()
    #: Values used on create only when the user left the field out; never compared afterwards.
    create_defaults: t.Mapping[str, t.Any] = {}

    def __init__(self, module: PanelModule) -> None:
        self.module = module
        self.client = module.client
        self.params = module.params
        #: The object as found by the engine before `desired()` is asked (None when it does not exist).
        self.current: dict[str, t.Any] | None = None

    def describe(self, obj: t.Mapping[str, t.Any] | None = None) -> str:
        """Human name of the object for messages, e.g. `location 'fra1'`."""
        return self.result_key

    def the(self) -> str:
        """The object, named briefly: the failure message it is added to has already named it with describe()."""
        return f"the {self.noun or self.result_key.replace('_', ' ')}"

    def find(self) -> dict[str, t.Any] | None:
        raise NotImplementedError

    def desired(self) -> dict[str, t.Any]:
        """The managed fields the user set, in the shape of the object's attributes."""
        raise NotImplementedError

    def create(self, desired: dict[str, t.Any]) -> dict[str, t.Any]:
        raise NotImplementedError

    def update(self, current: dict[str, t.Any], desired: dict[str, t.Any]) -> dict[str, t.Any]:
        raise NotImplementedError

    def delete(self, current: dict[str, t.Any]) -> None:
        raise NotImplementedError

    def compare(self, current: dict[str, t.Any], desired: dict[str, t.Any]) -> list[str]:
        """Names of the fields that need a change; override for fields that need normalising."""
        return changed_fields(current, desired)

    def predict_create(self, desired: dict[str, t.Any]) -> dict[str, t.Any]:
        """Check mode: the object a create would make."""
        return desired

    def predict_update(
        self, current: dict[str, t.Any], desired: dict[str, t.Any], changes: list[str]
    ) -> dict[str, t.Any]:
        """Check mode: the object after an update of `changes`."""
        return overlay(current, {key: desired[key] for key in changes})

    def view(self, obj: t.Mapping[str, t.Any] | None) -> dict[str, t.Any]:
        """The managed fields of an object, for diffs."""
        if not obj:
            return {}
        return {key: obj.get(key) for key in self.managed_fields if key in obj}


@dataclasses.dataclass
class Outcome:
    """What `PanelModule.ensure()` did: whether it changed something, the object before and after (as the diff
    shows them), the fields an update changed, and the object now (None once deleted)."""

    result_key: str
    changed: bool
    # The object (a dict), or the objects (a list) of a module that manages several per task (allocation).
    obj: t.Any
    before: dict[str, t.Any]
    after: dict[str, t.Any]
    #: Set for an update (also an update predicted in check mode); None for create, delete and no change.
    changed_fields: list[str] | None = None
    #: The object existed before the task (it was not created now).
    existed: bool = False
    #: More keys for the result, from follow-up steps (a token, the Wings configuration, ...).
    extra: dict[str, t.Any] = dataclasses.field(default_factory=dict)

    def result(self) -> dict[str, t.Any]:
        """The module result: `changed`, the object under its key, `diff`, and `changed_fields` after an update."""
        result: dict[str, t.Any] = {
            "changed": self.changed,
            self.result_key: self.obj,
            "diff": {"before": self.before, "after": self.after},
        }
        if self.changed_fields is not None:
            result["changed_fields"] = list(self.changed_fields)
        result.update(self.extra)
        return result

    def but(self, **changes: t.Any) -> Outcome:
        """A copy with some fields replaced (a follow-up step's result)."""
        return dataclasses.replace(self, **changes)


class PanelModule(AnsibleModule):
    """AnsibleModule with the connection options, the Panel client and the idempotency engine."""

    def __init__(self, argument_spec: dict[str, t.Any], api: str, **kwargs: t.Any) -> None:
        # Set first: AnsibleModule.__init__ may already fail the task (bad arguments).
        #: Every write request the panel accepted in this task ("PATCH /api/application/nodes/3"), in order.
        self.write_requests: list[str] = []
        #: The same requests with words where the engine knows them (WRITE_WORDS).
        self._described_requests: list[str] = []
        #: The same writes in words ("created the backup"), where the code that made them said so.
        self.writes_done: list[str] = []
        spec = connection_argument_spec(api)
        spec.update(argument_spec)
        kwargs.setdefault("supports_check_mode", True)
        super().__init__(argument_spec=spec, **kwargs)
        if not HAS_REQUESTS:
            self.fail_json(msg=missing_required_lib("requests"), exception=REQUESTS_IMPORT_ERROR)
        self.api = api
        url_password = urlsplit(self.params["url"] or "").password
        if url_password:
            # A password written into the URL is as secret as the API key: keep it out of the task's output.
            self.no_log_values.add(url_password)
        try:
            self.client = client_from_options(self.params, on_write=self._note_write_request)
        except SettingError as error:
            # Named by the option that is wrong (url, timeout, retries, backoff_factor), not always `url`.
            self.fail_json(msg=error.for_option())

    def exit_json(self, **result: t.Any) -> t.NoReturn:  # type: ignore[misc]  # AnsibleModule's (untyped) exits
        """Succeed; a write that happened is a change, whatever the code that made it concluded."""
        if self.wrote:
            result["changed"] = True
        super().exit_json(**result)

    # -- writes made so far, and failures after them --------------------------------------------------

    @property
    def wrote(self) -> bool:
        """True once the panel accepted a write in this task (never in check mode)."""
        return bool(self.write_requests or self.writes_done)

    def _note_write_request(self, operation: str, request: str) -> None:
        self.write_requests.append(request)
        words = WRITE_WORDS.get(operation)
        self._described_requests.append(f"{words} ({request})" if words else request)

    def record_write(self, done: str) -> None:
        """Say in words what a write just did ("created the backup"), for the message of a later failure; the
        failure message names the object already, so the words need not.

        Writes sent through the client are recorded anyway; call this also for a write whose answer was an
        error although the panel applied it (e.g. a node saved while Wings was unreachable)."""
        self.writes_done.append(done)

    def forget_writes(self) -> None:
        """The writes so far changed nothing (the panel ignored them): a failure now is not a change."""
        self.write_requests.clear()
        self._described_requests.clear()
        self.writes_done.clear()

    def fail_json(self, msg: str, **result: t.Any) -> t.NoReturn:  # type: ignore[misc]  # AnsibleModule's exits
        """Fail the task; after a write it reports `changed: true` and says what was already done."""
        if self.wrote:
            done = self.writes_done or self._described_requests
            msg = f"{msg.rstrip('. ')}. Already done before this failure: {'; '.join(done)}"
            result["changed"] = True
            result["writes"] = list(self.write_requests)
        super().fail_json(msg=msg, **result)

    def add_path_info(self, kwargs: dict[str, t.Any]) -> dict[str, t.Any]:
        """Never add the controller's stat of a `path`/`dest` result: every path here is on the panel's side.

        AnsibleModule.exit_json/fail_json call this for any result holding `path` or `dest`, and would fill in
        uid, gid, owner, group, mode, size and state of a file of the same name on the machine running the module."""
        return kwargs

    # -- failures raised below main() ---------------------------------------------------------------

    @contextlib.contextmanager
    def failures_reported(self) -> t.Iterator[None]:
        """The one place where what the code below `main()` raised becomes the failed result."""
        try:
            yield
        except TaskFailure as failure:
            self.fail_json(msg=failure.msg, **failure.result)
        except PanelError as error:
            self.fail_json(msg=str(error), error=error.to_dict())
        except AmbiguousError as error:
            self.fail_json(msg=str(error))

    # -- talking to the panel from a main() without failures_reported() (info modules, power) ----------------

    def step(self, what: str, action: t.Callable[..., Result], *args: t.Any) -> Result:
        """Run one step from `main()`; an API error fails the task with `what` as context."""
        with self.failures_reported(), failure_context(what):
            return action(*args)

    def call(
        self, operation: str, path_params: dict[str, t.Any] | None = None, *, what: str = "", **kwargs: t.Any
    ) -> t.Any:
        """`PanelClient.call()` that fails the task with a clear message on any API error."""
        return self.step(what, lambda: self.client.call(operation, path_params, **kwargs))

    def collect(
        self, operation: str, path_params: dict[str, t.Any] | None = None, *, what: str = "", **kwargs: t.Any
    ) -> list[dict[str, t.Any]]:
        return self.step(what, lambda: self.client.collect(operation, path_params, **kwargs))

    def wait_for(
        self,
        fetch: t.Callable[[], t.Any],
        done: t.Callable[[t.Any], bool],
        timeout: float,
        what: str,
        describe: t.Callable[[t.Any], str] = repr,
    ) -> t.Any:
        """Poll `fetch()` until `done(value)`, with capped back-off; fail naming the last value seen after `timeout` s
        (also when called outside `failures_reported()`)."""
        deadline = time.monotonic() + timeout
        delay = 0.25
        with self.failures_reported():
            while True:
                value = fetch()
                if done(value):
                    return value
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise TaskFailure(f"Timed out after {timeout:g}s waiting for {what}; last seen: {describe(value)}")
                time.sleep(min(delay, remaining))
                delay = min(delay * 2, 5.0) * (0.8 + 0.4 * random.random())

    # -- the idempotency engine -------------------------------------------------------------------

    def ensure(self, resource: PanelResource, state: str = "present") -> Outcome:
        """Bring one object to `state` (present/absent); say what changed. Raises TaskFailure when it cannot."""
        with failure_context(f"Could not look up {resource.describe()}"):
            current = resource.find()
        resource.current = current
        if state == "absent":
            return self._ensure_absent(resource, current)
        desired = resource.desired()
        if current is None:
            return self._create(resource, desired)
        return self._update(resource, current, desired)

    def _update(self, resource: PanelResource, current: dict[str, t.Any], desired: dict[str, t.Any]) -> Outcome:
        changes = resource.compare(current, desired)
        refuse_create_only_changes(resource, current, changes)
        if not changes:
            return Outcome(
                resource.result_key, False, current, resource.view(current), resource.view(current), existed=True
            )
        if self.check_mode:
            after = resource.predict_update(current, desired, changes)
        else:
            said = len(self.writes_done)
            with failure_context(f"Could not update {resource.describe(current)}"):
                after = resource.update(current, desired)
            self._record_unless_said(said, f"updated {resource.the()} ({', '.join(changes)})")
        return Outcome(
            resource.result_key,
            True,
            after,
            resource.view(current),
            resource.view(after),
            changed_fields=changes,
            existed=True,
        )

    def _record_unless_said(self, said_before: int, done: str) -> None:
        # A resource may have described its own writes (e.g. "saved in the panel, not pushed to Wings").
        if len(self.writes_done) == said_before:
            self.record_write(done)

    def _ensure_absent(self, resource: PanelResource, current: dict[str, t.Any] | None) -> Outcome:
        if current is None:
            return Outcome(resource.result_key, False, None, {}, {})
        if not self.check_mode:
            said = len(self.writes_done)
            with failure_context(f"Could not delete {resource.describe(current)}"):
                resource.delete(current)
            self._record_unless_said(said, f"deleted {resource.the()}")
        return Outcome(resource.result_key, True, None, resource.view(current), {}, existed=True)

    def _create(self, resource: PanelResource, desired: dict[str, t.Any]) -> Outcome:
        missing = [name for name in resource.create_requires if resource.params.get(name) is None]
        if missing:
            raise TaskFailure(f"{resource.describe()} does not exist; to create it, also set: {', '.join(missing)}")
        desired = {**resource.create_defaults, **desired}
        if self.check_mode:
            created = resource.predict_create(desired)
        else:
            said = len(self.writes_done)
            created = self.create_adopting_lost_answer(
                resource.describe(), lambda: resource.create(desired), resource.find, resource.describe
            )
            self._record_unless_said(said, f"created {resource.the()}")
        return Outcome(resource.result_key, True, created, {}, resource.view(created))

    def create_adopting_lost_answer(
        self,
        label: str,
        create: t.Callable[[], dict[str, t.Any]],
        find: t.Callable[[], dict[str, t.Any] | None],
        describe: t.Callable[[dict[str, t.Any]], str] | None = None,
    ) -> dict[str, t.Any]:
        """Run `create()`; when its answer was lost (the panel may have created it), look with `find()` and adopt
        what is there instead of creating twice. Raises TaskFailure naming `label` when the create failed."""
        try:
            return create()
        except PanelError as error:
            if error.write_state != "unknown":
                raise TaskFailure.from_error(error, f"Could not create {label}") from None
            lost = error
        with failure_context(f"Could not look up {label} after a lost answer"):
            found = find()
        if found is None:
            raise TaskFailure.from_error(
                lost,
                f"Could not create {label}: the answer was lost and the panel "
                "shows no such object now. If the panel was only slow it may still "
                "appear; run the task again (an object that appeared is adopted, not "
                "created twice)",
            )
        self.warn(
            f"The panel's answer to creating {describe(found) if describe else label} was lost; "
            "the object exists and has been adopted."
        )
        return found


def refuse_create_only_changes(resource: PanelResource, current: t.Mapping[str, t.Any], changes: list[str]) -> None:
    """Fail, naming them, when the task would change fields the panel only takes on create."""
    locked = [field for field in changes if field in resource.create_only]
    if locked:
        raise TaskFailure(
            f"{resource.describe(current)}: {', '.join(locked)} can only be set when it is created "
            f"(the panel has {', '.join(f'{f}={current.get(f)!r}' for f in locked)}); "
            "recreate it, or leave these options out",
            changed=False,
        )
