# Private to ptero.panel: not a public API.
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What every ptero.panel module shares: connection options, the client, error reporting and the
find -> compare -> create/update/delete engine with check mode and diff mode.

A resource module declares a `PanelResource` subclass (how to find the resource, which fields it manages,
which are create-only, how to create/update/delete it) and hands it to `PanelModule.ensure()`.
"""

from __future__ import annotations

import random
import time
import typing as t
from urllib.parse import urlsplit

from ansible.module_utils.basic import AnsibleModule, env_fallback, missing_required_lib

from ansible_collections.ptero.panel.plugins.module_utils._client import (
    HAS_REQUESTS,
    REQUESTS_IMPORT_ERROR,
    PanelClient,
    PanelError,
)
from ansible_collections.ptero.panel.plugins.module_utils._lookup import AmbiguousError

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
    }


def client_from_options(options: t.Mapping[str, t.Any]) -> PanelClient:
    return PanelClient(
        options["url"],
        options["api_key"],
        validate_certs=options["validate_certs"],
        timeout=options["timeout"],
        retries=options["retries"],
        backoff_factor=options["backoff_factor"],
        extra_retry_codes=options["extra_retry_codes"] or (),
    )


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
    return _canonical(current) != _canonical(desired)


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
    Methods call the panel through `self.client` and let `PanelError` propagate: the engine reports it with
    context ("Could not update location 'fra1': PATCH ... -> 422 ...").
    """

    #: Key of the object in the module result (`location`, `server`, ...).
    result_key: str = ""
    #: Fields shown in diffs and compared; a subset of the object's attributes.
    managed_fields: tuple[str, ...] = ()
    #: Fields that cannot be changed once the object exists: a difference fails unless `force` allows it.
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

    def view(self, obj: t.Mapping[str, t.Any] | None) -> dict[str, t.Any]:
        """The managed fields of an object, for diffs."""
        if not obj:
            return {}
        return {key: obj.get(key) for key in self.managed_fields if key in obj}


class PanelModule(AnsibleModule):
    """AnsibleModule with the connection options, the Panel client and the idempotency engine."""

    def __init__(self, argument_spec: dict[str, t.Any], api: str, **kwargs: t.Any) -> None:
        spec = connection_argument_spec(api)
        spec.update(argument_spec)
        kwargs.setdefault("supports_check_mode", True)
        super().__init__(argument_spec=spec, **kwargs)
        if not HAS_REQUESTS:
            self.fail_json(msg=missing_required_lib("requests"), exception=REQUESTS_IMPORT_ERROR)
        self.api = api
        try:
            url_password = urlsplit(self.params["url"] or "").password
            if url_password:
                # A password written into the URL is as secret as the API key: keep it out of the task's output.
                self.no_log_values.add(url_password)
            self.client = client_from_options(self.params)
        except ValueError as error:
            self.fail_json(msg=f"url: {error}")
        self._result_hooks: list[t.Callable[[dict[str, t.Any]], None]] = []

    def add_result_hook(self, hook: t.Callable[[dict[str, t.Any]], None]) -> None:
        """Let a module add to the result (e.g. a node's Wings configuration) just before a successful exit."""
        self._result_hooks.append(hook)

    def exit_json(self, **result: t.Any) -> t.NoReturn:
        hooks, self._result_hooks = self._result_hooks, []
        for hook in hooks:
            hook(result)
        super().exit_json(**result)

    # -- talking to the panel -------------------------------------------------------------------

    def call(self, operation: str, path_params: dict[str, t.Any] | None = None, *, what: str = "", **kwargs: t.Any) -> t.Any:
        """`PanelClient.call()` that fails the task with a clear message on any API error."""
        try:
            return self.client.call(operation, path_params, **kwargs)
        except PanelError as error:
            self.fail_from_error(error, what)

    def collect(self, operation: str, path_params: dict[str, t.Any] | None = None, *, what: str = "", **kwargs: t.Any) -> list[dict[str, t.Any]]:
        try:
            return self.client.collect(operation, path_params, **kwargs)
        except PanelError as error:
            self.fail_from_error(error, what)

    def fail_from_error(self, error: PanelError, what: str = "", **extra: t.Any) -> t.NoReturn:
        message = f"{what}: {error}" if what else str(error)
        self.fail_json(msg=message, error=error.to_dict(), **extra)

    def wait_for(self, fetch: t.Callable[[], t.Any], done: t.Callable[[t.Any], bool], timeout: float, what: str,
                 describe: t.Callable[[t.Any], str] = repr) -> t.Any:
        """Poll `fetch()` until `done(value)`, with capped back-off; fail with the last value seen after `timeout` s."""
        deadline = time.monotonic() + timeout
        delay = 0.25
        while True:
            value = fetch()
            if done(value):
                return value
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                self.fail_json(msg=f"Timed out after {timeout:g}s waiting for {what}; last seen: {describe(value)}")
            time.sleep(min(delay, remaining))
            delay = min(delay * 2, 5.0) * (0.8 + 0.4 * random.random())

    # -- the idempotency engine -------------------------------------------------------------------

    def step(self, what: str, action: t.Callable[..., t.Any], *args: t.Any) -> t.Any:
        """Run one resource step; an API error fails the task with `what` as context."""
        try:
            return action(*args)
        except PanelError as error:
            self.fail_from_error(error, what)
        except AmbiguousError as error:
            self.fail_json(msg=f"{what}: {error}")

    def ensure(self, resource: PanelResource, state: str = "present", force: bool = False) -> t.NoReturn:
        """Bring one object to `state` (present/absent) and exit with `changed`, the object and a diff."""
        current = self.step(f"Could not look up {resource.describe()}", resource.find)
        resource.current = current
        if state == "absent":
            self._ensure_absent(resource, current)
        desired = resource.desired()
        if current is None:
            self._create(resource, desired)
        changes = resource.compare(current, desired)
        locked = [field for field in changes if field in resource.create_only]
        if locked and not force:
            self.fail_json(
                msg=f"{resource.describe(current)}: {', '.join(locked)} can only be set when it is created "
                    f"(the panel has {', '.join(f'{f}={current.get(f)!r}' for f in locked)}); "
                    "recreate it, or leave these options out",
                changed=False,
            )
        if not changes:
            self.exit_json(changed=False, **{resource.result_key: current},
                           diff={"before": resource.view(current), "after": resource.view(current)})
        if self.check_mode:
            after = overlay(current, {key: desired[key] for key in changes})
        else:
            after = self.step(f"Could not update {resource.describe(current)}", resource.update, current, desired)
        self.exit_json(changed=True, changed_fields=changes, **{resource.result_key: after},
                       diff={"before": resource.view(current), "after": resource.view(after)})

    def _ensure_absent(self, resource: PanelResource, current: dict[str, t.Any] | None) -> t.NoReturn:
        if current is None:
            self.exit_json(changed=False, **{resource.result_key: None}, diff={"before": {}, "after": {}})
        if not self.check_mode:
            self.step(f"Could not delete {resource.describe(current)}", resource.delete, current)
        self.exit_json(changed=True, **{resource.result_key: None},
                       diff={"before": resource.view(current), "after": {}})

    def _create(self, resource: PanelResource, desired: dict[str, t.Any]) -> t.NoReturn:
        missing = [name for name in resource.create_requires if resource.params.get(name) is None]
        if missing:
            self.fail_json(msg=f"{resource.describe()} does not exist; to create it, also set: {', '.join(missing)}")
        desired = {**resource.create_defaults, **desired}
        if self.check_mode:
            created = desired
        else:
            try:
                created = resource.create(desired)
            except PanelError as error:
                created = self._adopt_after_lost_answer(resource, error)
        self.exit_json(changed=True, **{resource.result_key: created},
                       diff={"before": {}, "after": resource.view(created)})

    def _adopt_after_lost_answer(self, resource: PanelResource, error: PanelError) -> dict[str, t.Any]:
        """A create whose answer was lost may have happened: look again instead of creating twice."""
        if error.write_state != "unknown":
            self.fail_from_error(error, f"Could not create {resource.describe()}")
        found = self.step(f"Could not look up {resource.describe()} after a lost answer", resource.find)
        if found is None:
            self.fail_from_error(error, f"Could not create {resource.describe()}: the answer was lost and the panel "
                                        "shows no such object now. If the panel was only slow it may still appear; "
                                        "run the task again (an object that appeared is adopted, not created twice)")
        self.warn(f"The panel's answer to creating {resource.describe(found)} was lost; "
                  "the object exists and has been adopted.")
        return found
