# Private to ptero.panel: not a public API.
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The synchronous Pterodactyl Panel API client used by every ptero.panel plugin.

`PanelClient.call("application.users.get", {"user": 5})` sends the route named in `_operations.OPERATIONS`
and returns the answer in a plain shape:

Flattening of the panel's envelopes
  * an item `{"object": X, "attributes": {...}}` becomes a new dict with the attributes;
  * `attributes.relationships.<name>` is replaced, in that place, by its flattened value: a list envelope
    becomes a list of flattened items, an item envelope a flattened dict, and `null_resource` becomes None
    (nested includes such as `allocations.node` are flattened the same way);
  * a list `{"object": "list", "data": [...]}` becomes a list of flattened items; a paginated list
    returned by `call()` is only the requested page (use `iterate()` or `collect()` for every item);
  * 204, and 202 with `[]`, give None; `text/plain` bodies give a str; a signed URL gives `{"url": ...}`;
    raw JSON documents (node configuration) are returned as they are; `{"data": {...}}` payloads
    (websocket credentials, 2FA setup) give the inner dict.
  The top-level `meta` (pagination, `secret_token`, `backup_count`, `startup_command`...) is returned by
  `call_with_meta()`.

Failures raise `PanelError` (HTTP errors) or `PanelConnectionError` (transport errors). Both say whether a
write may have happened (`write_state`) and never contain the API key, tokens or request body values.

Panels: the client talks to Pterodactyl and to Pelican, its fork. `client.flavour` says which one ("pterodactyl" or
"pelican"): the `panel` setting when it is not "auto", else the API key's prefix, else one unauthenticated probe
(see `_flavour`), decided once per client and only when a call needs it. An operation the panel lacks raises
`UnsupportedOnPanel` before any request; Pelican's differences on a shared route (a renamed filter, what an empty
406 means) are applied from the route table.

Retries are done here rather than by urllib3, because whether a retry is safe depends on the method:
429 and failures to connect are retried for every method; 5xx, read timeouts and dropped connections only
for GET/HEAD/PUT/DELETE, since re-sending a POST or PATCH whose answer was lost could apply it twice.
A 429 means the panel applied nothing, so re-sending a POST after it is safe. It is waited out (Retry-After)
only while the wait fits the retry budget; otherwise, and for limits with no Retry-After (the daily e-mail
change limit, whose window is 24 hours), the error names the limit (see `describe_rate_limit`).
"""

from __future__ import annotations

import email.utils
import http.cookiejar
import json
import random
import re
import threading
import time
import traceback
import typing as t
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timezone
from urllib.parse import quote, urlsplit

from ansible_collections.ptero.panel.plugins.module_utils._flavour import (
    AUTO,
    ENV_PANEL,
    MIN_PELICAN,
    PELICAN,
    PROBE_ACCEPT,
    PROBE_METHOD,
    PROBE_PATH,
    SOURCE_KEY,
    SOURCE_OPTION,
    SOURCE_PROBE,
    check_panel_choice,
    flavour_from_key,
    flavour_from_probe,
    panel_name,
)
from ansible_collections.ptero.panel.plugins.module_utils._operations import (
    EMAIL_CHANGE_LIMIT,
    PELICAN_SERVER_LIMITS_SINCE,
    SERVER_RATE_LIMITS,
    Operation,
    RateLimit,
    get_operation,
)
from ansible_collections.ptero.panel.plugins.module_utils._version import COLLECTION_VERSION

try:
    import requests
    import requests.auth
    import urllib3
    from requests.adapters import HTTPAdapter
except ImportError:
    HAS_REQUESTS = False
    REQUESTS_IMPORT_ERROR: str | None = traceback.format_exc()
else:
    HAS_REQUESTS = True
    REQUESTS_IMPORT_ERROR = None

ACCEPT = "Application/vnd.pterodactyl.v1+json"
PROJECT_URL = "https://github.com/ptero/panel"
# Re-sending these cannot apply a change twice.
IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "PUT", "DELETE"})
SAFE_METHODS = frozenset({"GET", "HEAD"})
RETRY_STATUS_CODES = frozenset({500, 502, 503, 504})
# The total sleeping allowed in one call is max(MIN_SLEEP_BUDGET, max_retry_after * retries).
MIN_SLEEP_BUDGET = 60.0
# Application lists have no per_page maximum; 100 keeps pages (and their transformer work) moderate.
APPLICATION_PER_PAGE = 100
# A bound on page loops, whatever the panel claims in total_pages.
MAX_PAGES = 100_000
CONNECT_TIMEOUT_CAP = 10.0
REDACTED = "********"
# Body fields whose values are secrets whatever their length.
_SECRET_FIELD = re.compile(r"pass|secret|token|code|value|key", re.IGNORECASE)
_CHARSET = re.compile(r"charset=([\w.:-]+)", re.IGNORECASE)
_TLS_REASON = re.compile(r"certificate verify failed: ([^()'\"\]]+)")

# Shapes used in signatures (typing aliases so Python 3.9 can evaluate them).
Body = t.Union[dict[str, t.Any], list[t.Any], str, bytes, None]
Query = t.Mapping[str, t.Any]
Meta = dict[str, t.Any]
Pairs = list[tuple[str, str]]

# What a generic 500 means on Pelican, which has no daemon error of its own: Wings failures come back as 500s
# with the panel's generic detail.
PELICAN_GENERIC_500 = (
    "Pelican answers a generic 500 when Wings cannot be reached or refuses the request, and for "
    "some errors of its own; the panel's log names the cause"
)
# Laravel's answer for a path no route matches (both panels), as opposed to a missing object.
_ROUTE_NOT_FOUND = re.compile(r"The route .* could not be found", re.IGNORECASE)

WRITE_NOT_APPLIED = "not_applied"
WRITE_UNKNOWN = "unknown"
WRITE_READ = "read"


def _write_state(method: str, applied_may_have: bool) -> str:
    if method in SAFE_METHODS:
        return WRITE_READ
    return WRITE_UNKNOWN if applied_may_have else WRITE_NOT_APPLIED


class PanelError(Exception):
    """A failed panel call. `str()` is a readable one-line message without any secret."""

    def __init__(
        self,
        method: str,
        path: str,
        status: int | None = None,
        *,
        code: str | None = None,
        detail: str | None = None,
        errors: list[dict[str, t.Any]] | None = None,
        write_state: str = WRITE_NOT_APPLIED,
        retry_after: float | None = None,
        message: str | None = None,
    ) -> None:
        self.method = method
        self.path = path
        self.status = status
        self.code = code
        self.detail = detail
        self.errors: list[dict[str, t.Any]] = list(errors or [])
        self.write_state = write_state
        self.retry_after = retry_after
        self.message = message or self._default_message()
        super().__init__(self.message)

    def _default_message(self) -> str:
        outcome = " ".join(str(part) for part in (self.status, self.code) if part is not None) or "failed"
        head = f"{self.method} {self.path} -> {outcome}"
        return f"{head}: {self.detail}" if self.detail else head

    def __str__(self) -> str:
        return self.message

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.message!r})"

    def to_dict(self) -> dict[str, t.Any]:
        """JSON-safe summary for `fail_json(error=...)`."""
        return {
            "message": self.message,
            "method": self.method,
            "path": self.path,
            "status": self.status,
            "code": self.code,
            "detail": self.detail,
            "errors": [dict(entry) for entry in self.errors],
            "write_state": self.write_state,
            "retry_after": self.retry_after,
        }


class PanelConnectionError(PanelError):
    """The panel could not be reached, or the connection failed before an answer arrived (status None)."""


class PanelDetectionError(PanelError):
    """The client could not tell whether the panel is Pterodactyl or Pelican (the probe's answer proved nothing)."""


class UnsupportedOnPanel(PanelError):
    """An operation the panel does not have (a Pterodactyl route on Pelican, or the reverse); nothing was sent.

    `operation` is its name, `panel` the flavour of the panel, `instead` what to use there (or None)."""

    def __init__(self, operation: Operation, panel: str, source: str | None = None) -> None:
        self.operation = operation.name
        self.panel = panel
        self.instead = operation.instead
        message = operation.unsupported_message(panel)
        if source == SOURCE_OPTION:
            message += f" (the panel option says {panel})"
        elif source:
            message += (
                f" (the panel was detected as {panel_name(panel)} from {source}; if that is wrong, set the "
                "panel option)"
            )
        super().__init__(
            operation.method,
            operation.path,
            None,
            code="UnsupportedOnPanel",
            detail=message,
            write_state=WRITE_NOT_APPLIED,
            message=message,
        )


def _no_auth(prepared: t.Any) -> t.Any:
    # Given as a request's auth, it replaces the session's key: the flavour probe is sent without one.
    return prepared


class _BearerAuth(requests.auth.AuthBase if HAS_REQUESTS else object):  # type: ignore[misc]
    # An auth object (not a session header) keeps the key out of repr(session.headers) and stops
    # requests from replacing it with ~/.netrc credentials.
    def __init__(self, api_key: str) -> None:
        self._header = f"Bearer {api_key}"

    def __call__(self, prepared: t.Any) -> t.Any:
        prepared.headers["Authorization"] = self._header
        return prepared

    def __repr__(self) -> str:
        return "<BearerAuth ********>"


class _Transport(t.NamedTuple):
    """What went wrong on the wire, in words, and whether the request may have reached the panel."""

    reason: str
    sent: bool
    retryable: bool


def _exception_chain(error: BaseException) -> list[BaseException]:
    found: list[BaseException] = []
    stack: list[t.Any] = [error]
    while stack and len(found) < 32:
        current = stack.pop()
        if not isinstance(current, BaseException) or any(current is seen for seen in found):
            continue
        found.append(current)
        stack.extend(arg for arg in current.args if isinstance(arg, BaseException))
        stack.append(getattr(current, "reason", None))
        stack.append(current.__cause__)
        stack.append(current.__context__)
    return found


def _classify_transport(error: BaseException, host: str, read_timeout: float) -> _Transport:
    chain = _exception_chain(error)

    def has(*types: type) -> bool:
        return any(isinstance(item, types) for item in chain)

    if has(requests.exceptions.SSLError, urllib3.exceptions.SSLError):
        match = next((m for m in (_TLS_REASON.search(str(item)) for item in chain) if m), None)
        if match:
            return _Transport(
                f"TLS certificate verify failed for {host} ({match.group(1).strip()}); "
                "install the panel's CA or set validate_certs=false",
                False,
                False,
            )
        return _Transport(f"TLS handshake with {host} failed", False, False)
    # NameResolutionError is urllib3 2.x only; with 1.26 a lookup failure is a plain NewConnectionError.
    name_resolution = getattr(urllib3.exceptions, "NameResolutionError", None)
    if name_resolution is not None and has(name_resolution):
        return _Transport(f"could not resolve the host of {host}", False, True)
    if has(ConnectionRefusedError):
        return _Transport(f"connection refused by {host}", False, True)
    if has(urllib3.exceptions.NewConnectionError):
        return _Transport(f"could not connect to {host}", False, True)
    # After NewConnectionError: urllib3 2 makes it a subclass of ConnectTimeoutError.
    if has(requests.exceptions.ConnectTimeout, urllib3.exceptions.ConnectTimeoutError):
        return _Transport(f"timed out connecting to {host}", False, True)
    if has(requests.exceptions.ReadTimeout, urllib3.exceptions.ReadTimeoutError, TimeoutError):
        return _Transport(f"timed out after {read_timeout:g}s waiting for the answer from {host}", True, True)
    if has(
        requests.exceptions.InvalidURL,
        requests.exceptions.MissingSchema,
        requests.exceptions.InvalidSchema,
        requests.exceptions.InvalidHeader,
    ):
        return _Transport(f"invalid request to {host}", False, False)
    # Anything else (reset, closed, truncated body) happened after the request may have been received.
    return _Transport(f"the connection to {host} was closed before the answer arrived", True, True)


def _parse_retry_after(value: str | None) -> float | None:
    """Seconds to wait from a Retry-After header (delta seconds or HTTP date); None when absent or bad."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when is None:
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return max(0.0, (when - datetime.now(timezone.utc)).total_seconds())


def period_words(seconds: int) -> str:
    """ "minute", "15 minutes", "24 hours": the period of a rate limit as it reads after "per"."""
    for unit_seconds, unit, single in ((3600, "hour", "hour"), (60, "minute", "minute")):
        if seconds % unit_seconds == 0:
            amount = seconds // unit_seconds
            if unit == "hour" and amount == 24:
                return "24 hours"
            return single if amount == 1 else f"{amount} {unit}s"
    return f"{seconds} seconds"


def _header_int(headers: t.Mapping[str, str], name: str) -> int | None:
    try:
        return int(str(headers.get(name, "")).strip())
    except ValueError:
        return None


def _code_and_detail(response: t.Any, errors: list[dict[str, t.Any]]) -> tuple[str | None, str]:
    """The error code and detail of an error answer: the panel's first error, or what a redirect or a page says."""
    if 300 <= response.status_code < 400:
        # Usually http:// answered by a redirect to https://, or a wrong base path.
        location = urlsplit(response.headers.get("Location", ""))
        where = location.path
        if location.scheme:
            where = f"{location.scheme}://{location.hostname or ''}{location.path}"
        return "Redirect", f"the panel redirected to {where or 'another URL'}; check the url option"
    if errors:
        return errors[0]["code"], errors[0]["detail"]
    # Proxies and maintenance pages answer HTML: the reason phrase is enough.
    return None, response.reason or "HTTP error"


def _first_error(response: t.Any) -> tuple[str | None, str]:
    """(code, detail) of the first entry of a JSON error envelope; (None, "") for anything else."""
    if "json" not in response.headers.get("Content-Type", "").lower():
        return None, ""
    try:
        payload = response.json()
    except ValueError:
        return None, ""
    errors = payload.get("errors") if isinstance(payload, dict) else None
    if not isinstance(errors, list) or not errors or not isinstance(errors[0], dict):
        return None, ""
    return errors[0].get("code"), str(errors[0].get("detail") or "")


def is_unretryable_429(code: str | None, headers: t.Mapping[str, str]) -> bool:
    """A 429 thrown by the panel's own code without Retry-After (the daily e-mail change limit): its window is
    unknown or a day long, so waiting within a task cannot help."""
    return code == "TooManyRequestsHttpException" and not headers.get("Retry-After")


def _limit_sentence(limit: RateLimit, count: int | None = None) -> str:
    return f"the panel allows {count or limit.count} {limit.actions} per {period_words(limit.seconds)} per {limit.per}"


def _limit_release(limit: RateLimit, panel: str | None) -> str:
    """Which releases have a limit: "panel 1.12.0+", or "Pelican beta31+" on Pelican."""
    if panel == PELICAN:
        return "Pelican" if limit is EMAIL_CHANGE_LIMIT else f"Pelican {PELICAN_SERVER_LIMITS_SINCE}+"
    return f"panel {limit.since}+"


def describe_rate_limit(
    operation: Operation | None, code: str | None, detail: str, headers: t.Mapping[str, str], panel: str | None = None
) -> str | None:
    """Which limit a 429 comes from, in words ("the panel allows 2 schedule creations per minute per server"),
    or None when the panel's own message already says it (backup creation). `panel` is the flavour, when known."""
    name = operation.name if operation is not None else ""
    if is_unretryable_429(code, headers):
        if name == "client.account.update_email" or "email address has been changed" in detail:
            return (
                f"{_limit_sentence(EMAIL_CHANGE_LIMIT)} ({_limit_release(EMAIL_CHANGE_LIMIT, panel)}); not "
                "retried, since the window is 24 hours: try again tomorrow"
            )
        return "the panel gave no time to wait, so it was not retried"
    announced = _header_int(headers, "X-RateLimit-Limit")
    server_limit = SERVER_RATE_LIMITS.get(name)
    # The per-server limiter's headers replace the API-wide ones on its route: the count says which one it was.
    if server_limit is not None and announced in (None, server_limit.count):
        return f"{_limit_sentence(server_limit, announced)} ({_limit_release(server_limit, panel)})"
    if code == "TooManyRequestsHttpException":
        return None
    if name == "client.account.update_email" and announced is not None:
        # Panel 1.12.3+ puts its own 60-a-minute throttle on this route, besides the daily change limit.
        return f"the panel allows {announced} e-mail change requests per minute per user"
    if announced is not None:
        api = operation.api if operation is not None else "API"
        return f"the panel allows {announced} {api} API requests per minute per user"
    return None


def flatten(value: t.Any) -> t.Any:
    """Unwrap the panel's `{object, attributes}` / `{object: list, data}` envelopes (see the module docstring)."""
    if isinstance(value, dict):
        if "object" in value and "attributes" in value:
            if value["object"] == "null_resource" or value["attributes"] is None:
                return None
            attributes = value["attributes"]
            if not isinstance(attributes, dict):
                return attributes
            result = dict(attributes)
            relationships = result.get("relationships")
            if isinstance(relationships, dict):
                result["relationships"] = {name: flatten(related) for name, related in relationships.items()}
            return result
        if value.get("object") == "list" and isinstance(value.get("data"), list):
            return [flatten(item) for item in value["data"]]
    return value


def _secret_values(body: t.Any, field: str = "") -> list[str]:
    """String values of a request body that must never appear in a message."""
    found: list[str] = []
    if isinstance(body, dict):
        for key, value in body.items():
            found += _secret_values(value, str(key))
    elif isinstance(body, (list, tuple)):
        for value in body:
            found += _secret_values(value, field)
    elif isinstance(body, (str, int, float)) and not isinstance(body, bool):
        text = str(body)
        # Short ordinary values ("1", "en") would blank out innocent words; secret fields are always hidden.
        if len(text) >= 8 or (_SECRET_FIELD.search(field) and len(text) >= 3):
            found.append(text)
    return found


def _redact(text: str | None, secrets: t.Sequence[str]) -> str | None:
    if not text:
        return text
    for secret in sorted(secrets, key=len, reverse=True):
        if secret and secret in text:
            text = text.replace(secret, REDACTED)
    return text


def _query_value(value: t.Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def build_query(query: Query | None) -> Pairs:
    """Query pairs in the given order; None is dropped; lists are comma-joined for include, sort and
    filter[...] (the panel's syntax) and repeated for other keys (e.g. `location_ids[]`)."""
    pairs: Pairs = []
    for key, value in (query or {}).items():
        if value is None:
            continue
        if isinstance(value, (list, tuple, set, frozenset)):
            values = sorted(value) if isinstance(value, (set, frozenset)) else list(value)
            if key in ("include", "sort") or key.startswith("filter["):
                pairs.append((key, ",".join(_query_value(item) for item in values)))
            else:
                pairs.extend((key, _query_value(item)) for item in values)
        else:
            pairs.append((key, _query_value(value)))
    return pairs


def build_path(operation: Operation, path_params: t.Mapping[str, t.Any] | None) -> str:
    """The operation's path with every `{name}` filled in and URL-quoted (so `/` cannot escape a segment)."""
    given = dict(path_params or {})
    expected = operation.path_params
    missing = [name for name in expected if given.get(name) is None]
    extra = sorted(set(given) - set(expected))
    if missing or extra:
        problems = []
        if missing:
            problems.append(f"missing {', '.join(missing)}")
        if extra:
            problems.append(f"unexpected {', '.join(extra)}")
        raise ValueError(f"{operation.name} path parameters: {'; '.join(problems)} (expects {list(expected)})")

    def fill(match: re.Match[str]) -> str:
        return quote(str(given[match.group(1)]), safe="")

    return re.sub(r"\{([a-z_]+)\}", fill, operation.path)


def _encode_document(op: Operation, body: t.Any) -> tuple[bytes, str]:
    """A YAML or JSON file as it is, labelled by what it contains: Pelican checks a body labelled JSON as JSON and
    refuses YAML sent that way; a dict or list is sent as JSON."""
    if isinstance(body, (dict, list)):
        return json.dumps(body, separators=(",", ":")).encode("utf-8"), "application/json"
    if isinstance(body, (bytes, bytearray)):
        data = bytes(body)
    elif isinstance(body, str):
        data = body.encode("utf-8")
    else:
        raise TypeError(f"{op.name} sends a YAML or JSON document: pass a str, bytes or a dict")
    try:
        json.loads(data)
    except ValueError:
        return data, "application/yaml"
    return data, "application/json"


def _encode_multipart(op: Operation, body: t.Any) -> tuple[bytes, str]:
    """A form upload: `{field: (file name, content)}`; a str or bytes value is sent as a plain field."""
    if not isinstance(body, dict):
        raise TypeError(f"{op.name} uploads a file: pass {{field: (file name, bytes)}}")
    fields: dict[str, t.Any] = {}
    for name, value in body.items():
        if isinstance(value, tuple) and len(value) == 2:
            fields[str(name)] = (str(value[0]), bytes(value[1]) if isinstance(value[1], bytearray) else value[1])
        else:
            fields[str(name)] = value
    data, content_type = urllib3.encode_multipart_formdata(fields)
    return data, content_type


def _error_entries(response: t.Any, secrets: t.Sequence[str]) -> list[dict[str, t.Any]]:
    """The entries of the panel's JSON error envelope, with secrets blanked out; [] for any other body."""
    payload = None
    if "json" in response.headers.get("Content-Type", "").lower():
        try:
            payload = response.json()
        except ValueError:
            payload = None
    if not isinstance(payload, dict) or not isinstance(payload.get("errors"), list):
        return []
    errors: list[dict[str, t.Any]] = []
    for entry in payload["errors"]:
        if not isinstance(entry, dict):
            continue
        meta: dict[str, t.Any] = entry["meta"] if isinstance(entry.get("meta"), dict) else {}
        errors.append(
            {
                "code": entry.get("code"),
                "status": str(entry.get("status", response.status_code)),
                "detail": _redact(str(entry.get("detail") or ""), secrets),
                "source_field": meta.get("source_field"),
                "rule": meta.get("rule"),
            }
        )
    return errors


def _uses_renamed_filter(operation: Operation, query: Query | None) -> bool:
    """Whether `query` uses a filter that `operation` (one panel's variant) spells differently."""
    return any(f"filter[{given}]" in (query or {}) for given, _sent in operation.filter_renames)


def _renamed_filters(operation: Operation, query: Query | None) -> Query | None:
    """`query` with the filter names this panel spells differently renamed (`uuidShort` -> `uuid_short`)."""
    if not query or not _uses_renamed_filter(operation, query):
        return query
    renames = {f"filter[{given}]": f"filter[{sent}]" for given, sent in operation.filter_renames}
    return {renames.get(key, key): value for key, value in query.items()}


def _page_position(meta: t.Mapping[str, t.Any], requested: int) -> tuple[int, int]:
    """(current_page, total_pages); a response without pagination is a single page."""
    pagination = meta.get("pagination") if isinstance(meta, dict) else None
    if not isinstance(pagination, dict):
        return requested, requested
    try:
        current = int(pagination.get("current_page", requested))
        total = int(pagination.get("total_pages", current))
    except (TypeError, ValueError):
        return requested, requested
    return current, total


class SettingError(ValueError):
    """A client setting the panel cannot be reached with; `option` names it (url, timeout, retries, ...)."""

    def __init__(self, option: str, reason: str) -> None:
        # A URL problem reads as before ("The panel url must be ..."); the others name their option themselves.
        super().__init__(reason if option == "url" else f"{option}: {reason}")
        self.option = option
        self.reason = reason

    def for_option(self) -> str:
        """The message as a module reports it: the option, then why."""
        return f"{self.option}: {self.reason}"


def _check_settings(**settings: float) -> None:
    """Raise SettingError naming the first setting out of its range ("timeout: must be greater than 0, not 0")."""
    for name, value in settings.items():
        lowest, inclusive = {"timeout": (0, False), "max_workers": (1, True)}.get(name, (0, True))
        if value < lowest or (value == lowest and not inclusive):
            bound = f"at least {lowest}" if inclusive else f"greater than {lowest}"
            raise SettingError(name, f"must be {bound}, not {value:g}")


class PanelClient:
    """One connection to a panel (one keep-alive session), for one API key. Safe to use from threads.

    `request_count` counts every attempt made, retries and failed connection attempts included.
    """

    def __init__(
        self,
        url: str,
        api_key: str,
        *,
        validate_certs: bool = True,
        timeout: float = 30.0,
        retries: int = 5,
        backoff_factor: float = 0.5,
        extra_retry_codes: t.Iterable[int] = (),
        max_retry_after: float = 60.0,
        max_workers: int = 4,
        user_agent_extra: str | None = None,
        panel: str = AUTO,
    ) -> None:
        if not HAS_REQUESTS:
            raise RuntimeError("The Python library 'requests' is required by ptero.panel")
        parts = urlsplit(url or "")
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise SettingError(
                "url", "The panel url must be an absolute http:// or https:// URL, e.g. https://panel.example.com"
            )
        _check_settings(
            timeout=timeout,
            retries=retries,
            backoff_factor=backoff_factor,
            max_retry_after=max_retry_after,
            max_workers=max_workers,
        )
        try:
            self.panel = check_panel_choice(panel)
        except ValueError as error:
            raise SettingError("panel", str(error)) from None
        self.base_url = url.rstrip("/")
        # host[:port] only: a URL may carry user:password@, which must not reach messages.
        self._host = parts.hostname + (f":{parts.port}" if parts.port else "")
        self.validate_certs = validate_certs
        self.timeout = float(timeout)
        self.retries = int(retries)
        self.backoff_factor = float(backoff_factor)
        self.retry_codes = frozenset(RETRY_STATUS_CODES | {int(code) for code in extra_retry_codes})
        self.max_retry_after = float(max_retry_after)
        self.max_workers = int(max_workers)
        self.request_count = 0
        self._count_lock = threading.Lock()
        self._api_key = api_key
        self._flavour: str | None = None
        #: How the flavour was decided (for messages): the option, the key prefix or the probe; None until known.
        self.flavour_source: str | None = None
        self._flavour_lock = threading.Lock()
        if self.panel != AUTO:
            self._flavour, self.flavour_source = self.panel, SOURCE_OPTION
        elif flavour_from_key(api_key):
            self._flavour, self.flavour_source = PELICAN, SOURCE_KEY
        user_agent = f"ptero.panel/{COLLECTION_VERSION} (+{PROJECT_URL}) python-requests/{requests.__version__}"
        self.user_agent = f"{user_agent} {user_agent_extra}" if user_agent_extra else user_agent
        self._session = self._new_session(api_key)

    def _new_session(self, api_key: str) -> t.Any:
        """A requests session with the key, no cookies, and no retries of urllib3's own."""
        session = requests.Session()
        session.auth = _BearerAuth(api_key)
        session.headers.update({"Accept": ACCEPT, "User-Agent": self.user_agent})
        # The panel treats a session cookie as a browser login (CSRF checks): never keep one.
        session.cookies.set_policy(http.cookiejar.DefaultCookiePolicy(allowed_domains=[]))
        # urllib3 must not retry on its own: the retry rules below depend on the method.
        adapter = HTTPAdapter(pool_connections=2, pool_maxsize=max(10, self.max_workers), max_retries=0)
        session.mount("http://", adapter)
        session.mount("https://", adapter)
        return session

    def __repr__(self) -> str:
        return f"PanelClient({self.base_url!r})"

    def __enter__(self) -> PanelClient:
        return self

    def __exit__(self, *exc_info: t.Any) -> None:
        self.close()

    def close(self) -> None:
        self._session.close()

    # -- the panel's flavour ------------------------------------------------------------------------

    @property
    def flavour(self) -> str:
        """ "pterodactyl" or "pelican"; the first use may send the probe (once per client).

        Raises PanelDetectionError (or PanelConnectionError) when the probe's answer proves nothing."""
        if self._flavour is None:
            with self._flavour_lock:
                if self._flavour is None:
                    self._flavour = self._probe_flavour()
                    self.flavour_source = SOURCE_PROBE
        return self._flavour

    @property
    def known_flavour(self) -> str | None:
        """The flavour when it is already known, without sending anything; else None."""
        return self._flavour

    def _probe_flavour(self) -> str:
        """Ask the route only Pelican has, without a key: 401 is Pelican, 404 Pterodactyl (see `_flavour`)."""
        advice = f"set the panel option (or {ENV_PANEL}) to pterodactyl or pelican"
        try:
            response, attempts, _sent = self._send(
                PROBE_METHOD, PROBE_PATH, [], None, None, [self._api_key], authenticated=False, accept=PROBE_ACCEPT
            )
        except PanelConnectionError as error:
            message = f"Could not tell whether {self._host} runs Pterodactyl or Pelican: {error.message}; {advice}"
            raise PanelConnectionError(
                error.method, error.path, None, detail=error.detail, write_state=WRITE_READ, message=message
            ) from None
        found = flavour_from_probe(response.status_code)
        if found is not None:
            response.close()
            return found
        answer = self._http_error(PROBE_METHOD, PROBE_PATH, response, [self._api_key], attempts)
        if response.status_code < 300:
            answer.message = f"{PROBE_METHOD} {PROBE_PATH} -> {response.status_code} {response.reason or ''}".rstrip()
        message = (
            f"Could not tell whether {self._host} runs Pterodactyl or Pelican: the probe {answer.message} "
            f"(sent without a key; Pelican answers 401 and Pterodactyl 404); {advice}"
        )
        raise PanelDetectionError(
            PROBE_METHOD,
            PROBE_PATH,
            answer.status,
            code=answer.code,
            detail=answer.detail,
            errors=answer.errors,
            write_state=WRITE_READ,
            message=message,
        )

    def operation(self, name: str, query: Query | None = None) -> Operation:
        """The operation `name` as this client's panel has it; UnsupportedOnPanel when the panel lacks it.

        The flavour is only looked up when it matters: the route is not on every panel, or the query uses a filter
        name the panels spell differently."""
        op = get_operation(name)
        if not op.on_every_panel or _uses_renamed_filter(op.on(PELICAN), query):
            flavour = self.flavour
            if not op.available_on(flavour):
                raise UnsupportedOnPanel(op, flavour, self.flavour_source)
            return op.on(flavour)
        return op.on(self._flavour) if self._flavour is not None else op

    def supports(self, name: str) -> bool:
        """Whether this client's panel has the operation (may send the probe)."""
        return get_operation(name).available_on(self.flavour)

    # -- public calls -----------------------------------------------------------------------------

    def call(
        self,
        operation: str,
        path_params: dict[str, t.Any] | None = None,
        *,
        query: Query | None = None,
        body: Body = None,
    ) -> t.Any:
        """Send one operation and return its flattened answer (see the module docstring)."""
        return self.call_with_meta(operation, path_params, query=query, body=body)[0]

    def call_with_meta(
        self,
        operation: str,
        path_params: dict[str, t.Any] | None = None,
        *,
        query: Query | None = None,
        body: Body = None,
    ) -> tuple[t.Any, Meta]:
        """Like `call()`, plus the answer's top-level `meta` (or {})."""
        op = self.operation(operation, query)
        path = build_path(op, path_params)
        return self._exchange(op, path, build_query(_renamed_filters(op, query)), body)

    def iterate(
        self,
        operation: str,
        path_params: dict[str, t.Any] | None = None,
        *,
        query: Query | None = None,
        per_page: int | None = None,
    ) -> t.Iterator[dict[str, t.Any]]:
        """Every item of a list operation, page after page, lazily. Each page re-sends all of `query`."""
        # Checked now, not at the first next(): a wrong name or parameter fails where it is written.
        op, path, pairs = self._list_request(operation, path_params, query, per_page)
        return self._iterate_pages(op, path, pairs)

    def _iterate_pages(self, op: Operation, path: str, pairs: Pairs) -> t.Iterator[dict[str, t.Any]]:
        page = 1
        while page <= MAX_PAGES:
            items, meta = self._page(op, path, pairs, page)
            yield from items
            current, total = _page_position(meta, page)
            if current >= total:
                return
            page += 1

    def collect(
        self,
        operation: str,
        path_params: dict[str, t.Any] | None = None,
        *,
        query: Query | None = None,
        per_page: int | None = None,
        concurrent: bool = True,
    ) -> list[dict[str, t.Any]]:
        """All items of a list operation. After the first page, the others are fetched in parallel
        (`max_workers` threads) when `concurrent`; the result keeps page order."""
        if not concurrent or self.max_workers < 2:
            return list(self.iterate(operation, path_params, query=query, per_page=per_page))
        op, path, pairs = self._list_request(operation, path_params, query, per_page)
        items, meta = self._page(op, path, pairs, 1)
        result = list(items)
        current, total = _page_position(meta, 1)
        if current >= total:
            return result
        last = min(total, MAX_PAGES)
        pool = ThreadPoolExecutor(max_workers=min(self.max_workers, last - 1), thread_name_prefix="ptero-page")
        try:
            pages = list(pool.map(lambda number: self._page(op, path, pairs, number), range(2, last + 1)))
        finally:
            pool.shutdown(wait=True, cancel_futures=True)
        for page_items, _meta in pages:
            result.extend(page_items)
        # Items added while paging can add pages: fetch those one by one.
        page = last
        current, total = _page_position(pages[-1][1], last)
        while current < total and page < MAX_PAGES:
            page += 1
            page_items, page_meta = self._page(op, path, pairs, page)
            result.extend(page_items)
            current, total = _page_position(page_meta, page)
        return result

    # -- internals --------------------------------------------------------------------------------

    def _list_request(
        self, operation: str, path_params: dict[str, t.Any] | None, query: Query | None, per_page: int | None
    ) -> tuple[Operation, str, Pairs]:
        op = self.operation(operation, query)
        if not op.is_list:
            raise ValueError(f"{op.name} does not return a list")
        path = build_path(op, path_params)
        given = dict(_renamed_filters(op, query) or {})
        given.pop("page", None)
        requested = per_page if per_page is not None else given.pop("per_page", None)
        given.pop("per_page", None)
        if op.paginated:
            size = int(requested) if requested is not None else (op.max_per_page or APPLICATION_PER_PAGE)
            if op.max_per_page is not None:
                size = min(size, op.max_per_page)
            given["per_page"] = max(1, size)
        return op, path, build_query(given)

    def _page(self, op: Operation, path: str, pairs: Pairs, page: int) -> tuple[list[dict[str, t.Any]], Meta]:
        page_pairs = [*pairs, ("page", str(page))] if op.paginated else pairs
        data, meta = self._exchange(op, path, page_pairs, None)
        return (data if isinstance(data, list) else []), meta

    def _count(self) -> None:
        with self._count_lock:
            self.request_count += 1

    def _encode_body(self, op: Operation, body: t.Any) -> tuple[bytes | None, str | None]:
        if body is None:
            if op.body == "raw":
                return b"", "text/plain"
            return None, None
        if op.body is None:
            raise ValueError(f"{op.name} takes no request body")
        if op.body == "document":
            return _encode_document(op, body)
        if op.body == "multipart":
            return _encode_multipart(op, body)
        if op.body == "raw":
            if isinstance(body, str):
                return body.encode("utf-8"), "text/plain"
            if isinstance(body, (bytes, bytearray)):
                return bytes(body), "text/plain"
            raise TypeError(f"{op.name} sends the file content: pass a str or bytes body")
        if isinstance(body, (bytes, bytearray)):
            return bytes(body), "application/json"
        if isinstance(body, str):
            return body.encode("utf-8"), "application/json"
        return json.dumps(body, separators=(",", ":")).encode("utf-8"), "application/json"

    @staticmethod
    def _json_of(op: Operation, body: Body) -> t.Any:
        """The body as data, so its values can be kept out of messages (also when given pre-encoded)."""
        if op.body in ("json", "document") and isinstance(body, (str, bytes)):
            try:
                return json.loads(body)
            except ValueError:
                return None
        return body if isinstance(body, (dict, list)) else None

    def _exchange(self, op: Operation, path: str, pairs: Pairs, body: Body) -> tuple[t.Any, Meta]:
        data, content_type = self._encode_body(op, body)
        secrets = [self._api_key, *_secret_values(self._json_of(op, body))]
        response, attempts, sent_before = self._send(op.method, path, pairs, data, content_type, secrets)
        if response.status_code == 404 and op.method == "DELETE" and sent_before:
            # An earlier attempt, whose answer was lost, deleted it: the re-sent DELETE finds nothing left.
            response.close()
            return None, {}
        if response.status_code >= 300:
            raise self._http_error(op.method, path, response, secrets, attempts, op)
        return self._decode(op, path, response)

    def _sleep_for(self, attempt: int, wanted: float | None, slept: float, budget: float) -> float | None:
        """Seconds to sleep before retry `attempt` (0-based), or None to give up now."""
        remaining = budget - slept
        if wanted is not None:
            # Waiting less than the server asked cannot succeed; only wait when it is reachable.
            reachable = min(remaining, (self.retries - attempt) * self.max_retry_after)
            if wanted > reachable:
                return None
            return min(wanted, self.max_retry_after)
        # "Equal jitter": between half and all of backoff_factor * 2**attempt, so clients spread out.
        nominal = self.backoff_factor * (2**attempt)
        delay = min(nominal / 2 + random.uniform(0, nominal / 2), remaining)
        return delay if delay > 0 or nominal == 0 else None

    def _send(
        self,
        method: str,
        path: str,
        pairs: Pairs,
        data: bytes | None,
        content_type: str | None,
        secrets: list[str],
        *,
        authenticated: bool = True,
        accept: str | None = None,
    ) -> tuple[t.Any, int, bool]:
        """Send with the retry rules of the module docstring; return (last response, attempts, whether an
        earlier attempt may have been applied: it was sent and its answer lost, or answered 5xx)."""
        url = self.base_url + path
        headers = {"Content-Type": content_type} if content_type else {}
        if accept:
            headers["Accept"] = accept
        auth = None if authenticated else _no_auth
        timeout = (min(self.timeout, CONNECT_TIMEOUT_CAP), self.timeout)
        budget = max(MIN_SLEEP_BUDGET, self.max_retry_after * self.retries)
        slept = 0.0
        attempt = 0
        sent_before = False
        while True:
            self._count()
            try:
                response = self._request_once(method, url, pairs, data, headers, timeout, auth)
            except requests.exceptions.RequestException as error:
                transport = _classify_transport(error, self._host, self.timeout)
                # TLS reasons quote library text: scrub it like a panel message.
                transport = transport._replace(reason=_redact(transport.reason, secrets) or transport.reason)
                may_retry = transport.retryable and (not transport.sent or method in IDEMPOTENT_METHODS)
                delay = self._sleep_for(attempt, None, slept, budget) if may_retry and attempt < self.retries else None
                if delay is None:
                    raise self._transport_error(method, path, transport, attempt + 1) from None
                sent_before = sent_before or transport.sent
            else:
                status = response.status_code
                rate_limited = status == 429 and not is_unretryable_429(_first_error(response)[0], response.headers)
                retryable = rate_limited or (status in self.retry_codes and method in IDEMPOTENT_METHODS)
                if not retryable or attempt >= self.retries:
                    return response, attempt + 1, sent_before
                wanted = _parse_retry_after(response.headers.get("Retry-After"))
                delay = self._sleep_for(attempt, wanted, slept, budget)
                if delay is None:
                    return response, attempt + 1, sent_before
                sent_before = sent_before or status >= 500
                response.close()
            time.sleep(delay)
            slept += delay
            attempt += 1

    def _request_once(
        self,
        method: str,
        url: str,
        pairs: Pairs,
        data: bytes | None,
        headers: dict[str, str],
        timeout: t.Any,
        auth: t.Any,
    ) -> t.Any:
        """One attempt; redirects are answers (an http:// panel behind https:// must be named, not followed)."""
        return self._session.request(
            method,
            url,
            params=pairs,
            data=data,
            headers=headers,
            timeout=timeout,
            verify=self.validate_certs,
            allow_redirects=False,
            auth=auth,
        )

    def _transport_error(self, method: str, path: str, transport: _Transport, attempts: int) -> PanelConnectionError:
        write_state = _write_state(method, transport.sent)
        message = f"{method} {path} -> {transport.reason}"
        if attempts > 1:
            message += f" (gave up after {attempts} attempts)"
        if write_state == WRITE_UNKNOWN:
            message += "; the request was sent, so the change may have been applied: check before retrying"
        return PanelConnectionError(
            method, path, None, code=None, detail=transport.reason, errors=[], write_state=write_state, message=message
        )

    def _http_error(
        self,
        method: str,
        path: str,
        response: t.Any,
        secrets: list[str],
        attempts: int,
        operation: Operation | None = None,
    ) -> PanelError:
        status = response.status_code
        errors = _error_entries(response, secrets)
        code, detail = _code_and_detail(response, errors)
        if status == 422 and errors:
            summary = "; ".join(
                f"{e['source_field']}: {e['detail']}" if e["source_field"] else e["detail"] for e in errors
            )
        else:
            summary = detail
        retry_after = _parse_retry_after(response.headers.get("Retry-After")) if status in (429, 503) else None
        applied_may_have = status >= 500 or code == "ConfigurationNotPersistedException"
        write_state = _write_state(method, applied_may_have)
        message = f"{method} {path} -> {status} {code}: {summary}" if code else f"{method} {path} -> {status} {summary}"
        hint = self._panel_hint(operation, status, code, detail or "", has_envelope=bool(errors))
        if hint:
            message += f" ({hint})"
            if not errors and 300 <= status < 500:
                # An empty 403/406 says nothing itself: the hint is the reason.
                detail = hint
        if code == "ConfigurationNotPersistedException":
            message += " (the panel saved the change; only pushing it to Wings failed)"
        elif write_state == WRITE_UNKNOWN:
            message += " (the panel failed while handling a write, so it may have been applied: check before retrying)"
        if status == 429:
            limit = describe_rate_limit(operation, code, detail or "", response.headers, self._flavour)
            wait = f"retry after {retry_after:g}s" if retry_after is not None else ""
            message += f" ({'; '.join(part for part in (limit, wait) if part)})" if limit or wait else ""
        if attempts > 1:
            message += f" (gave up after {attempts} attempts)"
        response.close()
        return PanelError(
            method,
            path,
            status,
            code=code,
            detail=detail,
            errors=errors,
            write_state=write_state,
            retry_after=retry_after,
            message=message,
        )

    def _panel_hint(
        self, operation: Operation | None, status: int, code: str | None, detail: str, *, has_envelope: bool
    ) -> str | None:
        """What an error status means on this route and panel, where the panel's answer does not say it."""
        if operation is None:
            return None
        flavour = self._flavour
        hint = operation.status_hint(status)
        if hint is None and flavour is None and not has_envelope:
            # Not known to be Pelican (a migrated ptla_ key): Pelican's empty bodies still identify it.
            hint = operation.on(PELICAN).status_hint(status)
        if hint:
            return hint
        pelican_route = bool(operation.pelican_since) and PELICAN in operation.flavours
        no_route = code == "MethodNotAllowedHttpException" or bool(_ROUTE_NOT_FOUND.search(detail))
        if status in (404, 405) and pelican_route and no_route:
            return (
                f"the panel has no such route: {operation.name} needs Pelican {operation.pelican_since} or later "
                f"(ptero.panel supports Pelican {MIN_PELICAN} and later)"
            )
        if status == 500 and flavour == PELICAN:
            return PELICAN_GENERIC_500
        return None

    def _decode(self, op: Operation, path: str, response: t.Any) -> tuple[t.Any, dict[str, t.Any]]:
        if response.status_code == 204 or not response.content:
            return None, {}
        if op.response == "text":
            match = _CHARSET.search(response.headers.get("Content-Type", ""))
            encoding = match.group(1) if match else "utf-8"
            try:
                return response.content.decode(encoding, errors="replace"), {}
            except LookupError:
                return response.content.decode("utf-8", errors="replace"), {}
        try:
            payload = response.json()
        except ValueError:
            kind = response.headers.get("Content-Type", "unknown type").split(";")[0]
            detail = f"the answer is not JSON ({kind}); is the url the panel's address?"
            raise PanelError(
                op.method,
                path,
                response.status_code,
                code="UnexpectedResponse",
                detail=detail,
                write_state=_write_state(op.method, True),
            ) from None
        meta: dict[str, t.Any] = (
            payload["meta"] if isinstance(payload, dict) and isinstance(payload.get("meta"), dict) else {}
        )
        if op.response == "raw":
            return payload, {}
        if op.response == "data" and isinstance(payload, dict) and isinstance(payload.get("data"), dict):
            return payload["data"], meta
        if op.response == "none" and payload in ([], {}, None):
            return None, meta
        return flatten(payload), meta
