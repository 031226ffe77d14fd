# Private to ptero.panel: not a public API.
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The shared body of the `*_info` modules: get by id, or list with the panel's filters, then match exactly."""

from __future__ import annotations

import typing as t

from ansible_collections.ptero.panel.plugins.module_utils._lookup import get_or_none
from ansible_collections.ptero.panel.plugins.module_utils._module import PanelModule


class InfoQuery(t.NamedTuple):
    """How an info module reads its objects."""

    result_key: str
    list_operation: str
    #: option name -> (panel filter name or None when the panel cannot filter it, attribute compared exactly)
    filters: t.Mapping[str, tuple[str | None, str]] = {}
    get_operation: str | None = None
    #: path parameter that takes the `id` option in get_operation
    id_parameter: str | None = None
    include: str | None = None


def _matches(item: t.Mapping[str, t.Any], wanted: t.Mapping[str, tuple[str, t.Any]]) -> bool:
    for field, value in wanted.values():
        have = item.get(field)
        if isinstance(value, str) and isinstance(have, str):
            if have.lower() != value.lower():
                return False
        elif have != value:
            return False
    return True


def read_objects(module: PanelModule, spec: InfoQuery, path_params: dict[str, t.Any] | None = None) -> list[dict[str, t.Any]]:
    params = module.params
    wanted = {option: (field, params[option]) for option, (_unused, field) in spec.filters.items() if params.get(option) is not None}
    query: dict[str, t.Any] = {"include": spec.include} if spec.include else {}
    if spec.get_operation and params.get("id") is not None:
        found = module.step(f"Could not read {spec.result_key}", get_or_none, module.client, spec.get_operation,
                            {**(path_params or {}), spec.id_parameter: params["id"]}, query=query or None)
        items = [found] if found is not None else []
    else:
        for option, (filter_name, _unused) in spec.filters.items():
            value = params.get(option)
            if filter_name and value is not None and "," not in str(value):
                query[f"filter[{filter_name}]"] = value
        items = module.collect(spec.list_operation, path_params, query=query or None, what=f"Could not list {spec.result_key}")
    return [item for item in items if _matches(item, wanted)]


def run_info(module: PanelModule, spec: InfoQuery, path_params: dict[str, t.Any] | None = None) -> t.NoReturn:
    module.exit_json(changed=False, **{spec.result_key: read_objects(module, spec, path_params)})
