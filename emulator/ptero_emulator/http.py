"""HTTP building blocks shared by every emulated API: errors, input parsing, validation, envelopes,
pagination, filters, sorts and includes, all shaped like the Pterodactyl panel's output."""

from __future__ import annotations

import ipaddress
import json
import math
import re
import unicodedata
import warnings
from collections.abc import Callable, Iterable, Mapping, Sequence
from collections.abc import Set as AbstractSet
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

from aiohttp import web

# The emulator's shared contract uses plain string keys (request["user"], app["daemon"]); aiohttp merely suggests
# typed keys, so its advisory warning is silenced.
warnings.filterwarnings("ignore", category=web.NotAppKeyWarning)

GENERIC_500 = "An unexpected error was encountered while processing this request, please try again."
MODEL_NOT_FOUND = "The requested resource could not be found on the server."
UNAUTHORIZED_ACTION = "This action is unauthorized."


# ====================================================================== errors
class ApiError(Exception):
    """An error rendered as the panel's JSON error body: {"errors":[{"code","status","detail","meta"?}]}."""

    def __init__(
        self,
        status: int,
        code: str,
        detail: str,
        meta: dict[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(detail)
        self.status = status
        self.code = code
        self.detail = detail
        self.meta = meta
        self.headers: dict[str, str] = dict(headers or {})

    def entries(self) -> list[dict[str, Any]]:
        entry: dict[str, Any] = {"code": self.code, "status": str(self.status), "detail": self.detail}
        if self.meta is not None:
            entry["meta"] = self.meta
        return [entry]

    def body(self) -> dict[str, Any]:
        return {"errors": self.entries()}

    def response(self) -> web.Response:
        return json_response(self.body(), status=self.status, headers=self.headers)


class ValidationFailed(ApiError):
    """422 with one entry per message, each carrying meta.source_field and meta.rule."""

    def __init__(self, failures: Sequence[tuple[str, str, str]]) -> None:
        super().__init__(422, "ValidationException", failures[0][2] if failures else "The given data was invalid.")
        self.failures = list(failures)

    def entries(self) -> list[dict[str, Any]]:
        return [
            {
                "code": "ValidationException",
                "status": "422",
                "detail": message,
                "meta": {"source_field": field, "rule": rule},
            }
            for field, rule, message in self.failures
        ]


def not_found(detail: str = MODEL_NOT_FOUND) -> ApiError:
    return ApiError(404, "NotFoundHttpException", detail)


def forbidden(detail: str = UNAUTHORIZED_ACTION, code: str = "AccessDeniedHttpException") -> ApiError:
    return ApiError(403, code, detail)


def display_error(detail: str, code: str = "DisplayException", status: int = 400) -> ApiError:
    return ApiError(status, code, detail)


def bad_request(detail: str) -> ApiError:
    return ApiError(400, "BadRequestHttpException", detail)


def conflict(detail: str, code: str = "ConflictHttpException") -> ApiError:
    return ApiError(409, code, detail)


def server_error(code: str = "HttpException") -> ApiError:
    """What the panel shows for a non-HTTP exception (no debug mode): generic detail, the exception's class name."""
    return ApiError(500, code, GENERIC_500)


def daemon_unreachable() -> ApiError:
    return ApiError(
        504,
        "DaemonConnectionException",
        "Could not establish a connection to the machine running this server. Please try again.",
    )


# ====================================================================== responses
def json_response(data: Any, status: int = 200, headers: Mapping[str, str] | None = None) -> web.Response:
    return web.Response(
        body=json.dumps(data, separators=(",", ":")).encode(),
        status=status,
        content_type="application/json",
        headers=dict(headers or {}),
    )


def empty_response(status: int = 204) -> web.Response:
    """204 has no body at all; 202 responses carry the JSON body ``[]`` like the panel."""
    if status == 204:
        return web.Response(status=204)
    return json_response([], status=status)


# ====================================================================== input
def parse_php_pairs(pairs: Iterable[tuple[str, str]]) -> dict[str, Any]:
    """Turn query/form pairs into PHP's nested structure: a[b]=1 -> {"a":{"b":"1"}}, a[]=1 -> {"a":["1"]}."""
    result: dict[str, Any] = {}
    for raw_key, value in pairs:
        match = re.match(r"^([^\[\]]+)((?:\[[^\[\]]*\])*)$", raw_key)
        if not match:
            result[raw_key] = value
            continue
        segments = [match.group(1), *re.findall(r"\[([^\[\]]*)\]", match.group(2))]
        container: Any = result
        for index, segment in enumerate(segments):
            last = index == len(segments) - 1
            if isinstance(container, list):
                if segment == "":
                    if last:
                        container.append(value)
                        break
                    container.append({})
                    container = container[-1]
                    continue
                # Switching a list to keyed access: convert to a dict of its indices.
                container_dict = {str(i): v for i, v in enumerate(container)}
                container.clear()
                container = container_dict
            if segment == "" and not last:
                segment = str(len(container))
            if last:
                if segment == "":
                    container.setdefault("__list__", []).append(value)
                else:
                    container[segment] = value
            else:
                nxt = segments[index + 1]
                if segment not in container or not isinstance(container[segment], (dict, list)):
                    container[segment] = [] if nxt == "" else {}
                container = container[segment]
    return _fold_lists(result)


def _fold_lists(value: Any) -> Any:
    if isinstance(value, dict):
        if set(value) == {"__list__"}:
            return [_fold_lists(v) for v in value["__list__"]]
        return {k: _fold_lists(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_fold_lists(v) for v in value]
    return value


def normalize_input(value: Any, trim: bool = True) -> Any:
    """The panel's global input middleware: trim strings (unless disabled) and turn "" into None, recursively."""
    if isinstance(value, str):
        text = value.strip() if trim else value
        return None if text == "" else text
    if isinstance(value, dict):
        return {k: normalize_input(v, trim) for k, v in value.items()}
    if isinstance(value, list):
        return [normalize_input(v, trim) for v in value]
    return value


def parse_query(query_string: str, trim: bool = True) -> dict[str, Any]:
    return normalize_input(parse_php_pairs(parse_qsl(query_string, keep_blank_values=True)), trim)


def body(request: web.Request) -> dict[str, Any]:
    """The normalised request body (JSON object or form); {} when there is none."""
    data = request.get("body")
    return data if isinstance(data, dict) else {}


def query(request: web.Request) -> dict[str, Any]:
    """The normalised query string in PHP's nested form."""
    data = request.get("query")
    if data is None:
        data = parse_query(request.rel_url.raw_query_string)
        request["query"] = data
    return data


def input_value(request: web.Request, name: str, default: Any = None) -> Any:
    """Laravel's $request->input(): body first, then query string."""
    data = body(request)
    if name in data:
        return data[name]
    return query(request).get(name, default)


def int_param(value: str | None) -> int:
    """A numeric route parameter; anything else is a failed model binding (404)."""
    if value is None or not re.fullmatch(r"\d{1,18}", value):
        raise not_found()
    return int(value)


# ====================================================================== validation
MISSING: Any = type("Missing", (), {"__repr__": lambda self: "MISSING", "__bool__": lambda self: False})()

MESSAGES: dict[str, str | dict[str, str]] = {
    "accepted": "The :attribute must be accepted.",
    "alpha": "The :attribute may only contain letters.",
    "alpha_dash": "The :attribute may only contain letters, numbers, and dashes.",
    "alpha_num": "The :attribute may only contain letters and numbers.",
    "array": "The :attribute must be an array.",
    "between": {
        "numeric": "The :attribute must be between :min and :max.",
        "string": "The :attribute must be between :min and :max characters.",
        "array": "The :attribute must have between :min and :max items.",
    },
    "boolean": "The :attribute field must be true or false.",
    "confirmed": "The :attribute confirmation does not match.",
    "digits_between": "The :attribute must be between :min and :max digits.",
    "email": "The :attribute must be a valid email address.",
    "exists": "The selected :attribute is invalid.",
    "filled": "The :attribute field is required.",
    "in": "The selected :attribute is invalid.",
    "integer": "The :attribute must be an integer.",
    "ip": "The :attribute must be a valid IP address.",
    "max": {
        "numeric": "The :attribute may not be greater than :max.",
        "string": "The :attribute may not be greater than :max characters.",
        "array": "The :attribute may not have more than :max items.",
    },
    "min": {
        "numeric": "The :attribute must be at least :min.",
        "string": "The :attribute must be at least :min characters.",
        "array": "The :attribute must have at least :min items.",
    },
    "not_in": "The selected :attribute is invalid.",
    "numeric": "The :attribute must be a number.",
    "present": "The :attribute field must be present.",
    "regex": "The :attribute format is invalid.",
    "required": "The :attribute field is required.",
    "required_with": "The :attribute field is required when :values is present.",
    "required_without": "The :attribute field is required when :values is not present.",
    "size": {
        "numeric": "The :attribute must be :size.",
        "string": "The :attribute must be :size characters.",
        "array": "The :attribute must contain :size items.",
    },
    "string": "The :attribute must be a string.",
    "unique": "The :attribute has already been taken.",
    "url": "The :attribute format is invalid.",
    "uuid": "The :attribute must be a valid UUID.",
    "p_username": "The :attribute must start and end with alpha-numeric characters and contain only letters, "
    "numbers, dashes, underscores, and periods.",
    "p_user_email": "The :attribute must not start with a dash.",
}
IMPLICIT_RULES = frozenset({"required", "required_with", "required_without", "present", "filled", "accepted"})
SIZE_RULES = frozenset({"min", "max", "between", "size"})
NUMERIC_RULES = frozenset({"numeric", "integer"})
_PHP_NUMERIC = re.compile(r"^\s*[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?\s*$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+$")
_USERNAME = re.compile(r"^[a-z0-9]([\w\.-]+)[a-z0-9]$", re.ASCII)


# Characters of an unquoted local part (RFC 5322 atext); anything non-ASCII is accepted too (UTF-8 addresses).
_ATEXT = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789!#$%&'*+-/=?^_`{|}~")


def _email_atoms_valid(text: str, allowed: Callable[[str], bool]) -> bool:
    """Dot-separated atoms: none empty (no leading, trailing or doubled dot), every character allowed."""
    return all(atom and all(allowed(ch) for ch in atom) for atom in text.split("."))


def strict_email_valid(value: str) -> bool:
    """Laravel's ``email:strict`` (egulias NoRFCWarningsValidation) as the real panel 1.14.1 answered it: no quoted
    local part, comment, space, domain literal, trailing dot or TLD-less domain; UTF-8 local parts and IDN domains
    pass."""
    if value.count("@") != 1 or len(value) > 254:
        return False
    local, domain = value.split("@")
    if not local or len(local) > 64 or not _email_atoms_valid(local, lambda ch: ch in _ATEXT or ord(ch) > 127):
        return False
    labels = domain.split(".")
    if len(labels) < 2 or not _email_atoms_valid(domain, lambda ch: ch.isalnum() or ch == "-" or ord(ch) > 127):
        return False
    return all(len(label) <= 63 and not label.startswith("-") and not label.endswith("-") for label in labels)


def user_email_rules(config: Any, *checks: Rule) -> list[Rule]:
    """The e-mail rules of users and subuser invites: ``email`` on 1.11/1.12, ``email:strict`` from 1.13 and the
    leading-dash rule from 1.14.1; ``checks`` (unique) go between them, as in the panel's rule list."""
    rules: list[Rule] = ["required", "email:strict" if config.has("email_strict") else "email", "between:1,191"]
    rules.extend(checks)
    if config.has("email_no_leading_dash"):
        rules.append("p_user_email")
    return rules


def collation_key(value: Any) -> str:
    """How MySQL/MariaDB's default *_unicode_ci collation compares text: case- and accent-insensitively."""
    decomposed = unicodedata.normalize("NFKD", to_php_string(value))
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).lower()


class Check:
    """A custom rule: ``passes(value, attribute_path, data) -> bool``. ``name`` is what meta.rule shows;
    the message defaults to the panel's message for that name."""

    def __init__(
        self,
        name: str,
        passes: Callable[[Any, str, dict[str, Any]], bool],
        message: str | None = None,
        implicit: bool = False,
    ) -> None:
        self.name = name
        self.passes = passes
        self.message = message
        self.implicit = implicit


Rule = str | Check


def is_php_numeric(value: Any) -> bool:
    if isinstance(value, bool):
        return False
    if isinstance(value, (int, float)):
        return not (isinstance(value, float) and (math.isnan(value) or math.isinf(value)))
    return isinstance(value, str) and bool(_PHP_NUMERIC.match(value))


def is_php_integer(value: Any) -> bool:
    """PHP filter_var(FILTER_VALIDATE_INT): ints, integral floats and digit strings (true counts as 1)."""
    if value is True:
        return True
    if isinstance(value, bool):
        return False
    if isinstance(value, int):
        return True
    if isinstance(value, float):
        return value.is_integer()
    return isinstance(value, str) and bool(re.fullmatch(r"[+-]?\d+", value.strip()))


def is_filled(value: Any) -> bool:
    """Laravel's validateRequired."""
    if value is MISSING or value is None:
        return False
    if isinstance(value, str):
        return value.strip() != ""
    if isinstance(value, (list, dict)):
        return len(value) > 0
    return True


def to_php_string(value: Any) -> str:
    if value is True:
        return "1"
    if value is False or value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def get_path(data: Any, path: str) -> Any:
    current = data
    for segment in path.split("."):
        if isinstance(current, dict) and segment in current:
            current = current[segment]
        elif isinstance(current, list) and segment.isdigit() and int(segment) < len(current):
            current = current[int(segment)]
        else:
            return MISSING
    return current


def expand_wildcards(data: Any, key: str) -> list[str]:
    """Concrete dotted paths for a rule key containing ``*`` (only paths that exist in the data)."""
    if "*" not in key:
        return [key]
    head, _unused, tail = key.partition(".*")
    container = get_path(data, head)
    if isinstance(container, list):
        children = [str(i) for i in range(len(container))]
    elif isinstance(container, dict):
        children = [str(k) for k in container]
    else:
        return []
    paths: list[str] = []
    for child in children:
        paths.extend(expand_wildcards(data, f"{head}.{child}{tail}"))
    return paths


def parse_rules(rules: str | Sequence[Rule]) -> list[Rule]:
    """ "a|b:1,2" -> ["a", "b:1,2"]; lists are taken as given (use a list when a regex contains '|')."""
    if isinstance(rules, str):
        return [part for part in rules.split("|") if part]
    return list(rules)


def display_attribute(path: str) -> str:
    """Laravel's default attribute text: snake_case with underscores turned into spaces."""
    snake = re.sub(r"(?<=[a-z0-9])([A-Z])", r"_\1", path).lower()
    return snake.replace("_", " ")


def _size_kind(value: Any, has_numeric: bool) -> str:
    if has_numeric and is_php_numeric(value):
        return "numeric"
    if isinstance(value, (list, dict)):
        return "array"
    return "string"


def _size(value: Any, kind: str) -> float:
    if kind == "numeric":
        return float(value)
    if kind == "array":
        return float(len(value))
    return float(len(to_php_string(value)))


def _php_regex(pattern: str) -> re.Pattern[str]:
    delimiter = pattern[0]
    closing = {"(": ")", "{": "}", "[": "]", "<": ">"}.get(delimiter, delimiter)
    end = pattern.rindex(closing)
    body_text, flags_text = pattern[1:end], pattern[end + 1 :]
    flags = 0 if "u" in flags_text else re.ASCII
    if "i" in flags_text:
        flags |= re.IGNORECASE
    if "x" in flags_text:
        flags |= re.VERBOSE
    if "s" in flags_text:
        flags |= re.DOTALL
    # PCRE's \z and \Z mean end of subject; Python spells them \Z.
    body_text = body_text.replace(r"\z", r"\Z")
    return re.compile(body_text, flags)


def _message(
    rule: str, attribute: str, value: Any, params: list[str], has_numeric: bool, override: str | None = None
) -> str:
    template = override if override is not None else MESSAGES.get(rule, "The :attribute is invalid.")
    if isinstance(template, dict):
        template = template[_size_kind(value, has_numeric)]
    text = template.replace(":attribute", attribute)
    if rule in ("between", "digits_between") and len(params) >= 2:
        text = text.replace(":min", params[0]).replace(":max", params[1])
    elif rule == "min" and params:
        text = text.replace(":min", params[0])
    elif rule == "max" and params:
        text = text.replace(":max", params[0])
    elif rule == "size" and params:
        text = text.replace(":size", params[0])
    elif rule in ("required_with", "required_without"):
        text = text.replace(":values", " / ".join(display_attribute(p) for p in params))
    return text


def _alpha(allow: str = "", digits: bool = False) -> Callable[[Any], bool]:
    """alpha / alpha_num / alpha_dash: a non-empty string or integer of letters (and digits, and ``allow``)."""

    def check(value: Any) -> bool:
        if not isinstance(value, (str, int)) or isinstance(value, bool):
            return False
        text = str(value)
        return text != "" and all(ch.isalpha() or (digits and ch.isdigit()) or ch in allow for ch in text)

    return check


def _is_ip(value: Any) -> bool:
    try:
        ipaddress.ip_address(value)
        return True
    except (ValueError, TypeError):
        return False


def _is_url(value: Any) -> bool:
    if not isinstance(value, str):
        return False
    parts = urlsplit(value)
    return parts.scheme in ("http", "https", "ftp", "ftps") and bool(parts.netloc)


_UUID = re.compile(r"[\da-fA-F]{8}-[\da-fA-F]{4}-[\da-fA-F]{4}-[\da-fA-F]{4}-[\da-fA-F]{12}")

# Rules that look at the value alone.
_VALUE_RULES: dict[str, Callable[[Any], bool]] = {
    "required": lambda value: is_filled(value),
    "present": lambda value: value is not MISSING,
    "filled": lambda value: value is MISSING or is_filled(value),
    "accepted": lambda value: value in ("yes", "on", "1", 1, True, "true"),
    "string": lambda value: isinstance(value, str),
    "integer": lambda value: is_php_integer(value),
    "numeric": lambda value: is_php_numeric(value),
    "boolean": lambda value: value in (True, False, 0, 1, "0", "1") and not isinstance(value, float),
    "array": lambda value: isinstance(value, (list, dict)),
    # Panel 1.14.1 UserEmail: the local part (quotes removed) must not start with a dash.
    "p_user_email": lambda value: (
        not (isinstance(value, str) and value.rpartition("@")[0].replace('"', "").startswith("-"))
    ),
    "alpha_dash": _alpha("_-", digits=True),
    "alpha": _alpha(),
    "alpha_num": _alpha(digits=True),
    "url": _is_url,
    "ip": _is_ip,
    "uuid": lambda value: isinstance(value, str) and bool(_UUID.fullmatch(value)),
    "p_username": lambda value: isinstance(value, str) and bool(_USERNAME.match(value.lower())),
}


def rfc_email_valid(value: str) -> bool:
    """Laravel's plain ``email`` rule (egulias RFCValidation, warnings allowed): one ``@`` with text on both sides and
    no white space; an unquoted local part and the domain may not start or end with a dot or hold two in a row
    (RFC errors, where a comment or a dotless domain are only warnings)."""
    if not _EMAIL.match(value):
        return False
    local, _at, domain = value.rpartition("@")
    quoted = len(local) > 1 and local.startswith('"') and local.endswith('"')
    local_valid = quoted or _email_atoms_valid(local, lambda ch: True)
    return local_valid and _email_atoms_valid(domain, lambda ch: True)


def _email_rule(value: Any, params: list[str]) -> bool:
    if "strict" in params:
        return isinstance(value, str) and strict_email_valid(value)
    return isinstance(value, str) and rfc_email_valid(value)


def _regex_rule(value: Any, params: list[str]) -> bool:
    if not isinstance(value, (str, int, float)) or isinstance(value, bool):
        return False
    return _php_regex(",".join(params)).search(to_php_string(value)) is not None


def _digits_between(value: Any, params: list[str]) -> bool:
    text = to_php_string(value)
    return text.isdigit() and int(params[0]) <= len(text) <= int(params[1])


# Rules that look at the value and their parameters.
_PARAMETER_RULES: dict[str, Callable[[Any, list[str]], bool]] = {
    "email": _email_rule,
    "in": lambda value, params: not isinstance(value, (list, dict)) and to_php_string(value) in params,
    "not_in": lambda value, params: to_php_string(value) not in params,
    "regex": _regex_rule,
    "digits_between": _digits_between,
}


def _size_rule(rule: str, params: list[str], value: Any, has_numeric: bool) -> bool:
    """min / max / size / between on the value's size (length, count or number, as Laravel decides)."""
    kind = "string" if isinstance(value, bool) or value is None else _size_kind(value, has_numeric)
    if kind == "string" and not isinstance(value, (str, int, float)) and value is not None:
        return False
    size = _size(value, kind)
    if rule == "min":
        return size >= float(params[0])
    if rule == "max":
        return size <= float(params[0])
    if rule == "size":
        return size == float(params[0])
    return float(params[0]) <= size <= float(params[1])


def _data_rule(rule: str, params: list[str], value: Any, path: str, data: dict[str, Any]) -> bool:
    """Rules that look at other fields: required_with, required_without, confirmed."""
    if rule == "confirmed":
        return bool(get_path(data, f"{path}_confirmation") == value)
    others_filled = [is_filled(get_path(data, other)) for other in params]
    applies = any(others_filled) if rule == "required_with" else not all(others_filled)
    return is_filled(value) if applies else True


def _check_builtin(
    rule: str, params: list[str], value: Any, path: str, data: dict[str, Any], has_numeric: bool
) -> bool:
    if rule in _VALUE_RULES:
        return _VALUE_RULES[rule](value)
    if rule in _PARAMETER_RULES:
        return _PARAMETER_RULES[rule](value, params)
    if rule in SIZE_RULES:
        return _size_rule(rule, params, value, has_numeric)
    if rule in ("required_with", "required_without", "confirmed"):
        return _data_rule(rule, params, value, path, data)
    raise ValueError(f"unsupported validation rule {rule!r}")


def collect_failures(
    data: dict[str, Any],
    rules: Mapping[str, str | Sequence[Rule]],
    attributes: Mapping[str, str] | None = None,
    messages: Mapping[str, str] | None = None,
) -> list[tuple[str, str, str]]:
    """Run Laravel-style rules and return (source_field, rule, message) for every failure, in rule order.

    ``attributes`` maps a field path to the text used for :attribute; ``messages`` maps "field.rule" (or "rule")
    to a message template overriding the default.
    """
    failures: list[tuple[str, str, str]] = []
    attributes = attributes or {}
    messages = messages or {}
    for key, raw_rules in rules.items():
        rule_list = parse_rules(raw_rules)
        names = [r.name if isinstance(r, Check) else r.split(":", 1)[0] for r in rule_list]
        has_numeric = any(n in NUMERIC_RULES for n in names)
        for path in expand_wildcards(data, key):
            value = get_path(data, path)
            if "sometimes" in names and value is MISSING:
                continue
            attribute = attributes.get(path) or attributes.get(key) or display_attribute(path)
            failed_implicit = False
            for rule in rule_list:
                if isinstance(rule, Check):
                    name, params, implicit = rule.name, [], rule.implicit
                else:
                    name, _unused, param_text = rule.partition(":")
                    if name in ("sometimes", "nullable", "bail"):
                        continue
                    params = [param_text] if name == "regex" else (param_text.split(",") if param_text else [])
                    implicit = name in IMPLICIT_RULES
                if not implicit:
                    # Non-implicit rules only run on present values, and never on null when "nullable".
                    if value is MISSING or (isinstance(value, str) and value.strip() == ""):
                        continue
                    if value is None and "nullable" in names:
                        continue
                if isinstance(rule, Check):
                    ok = rule.passes(value, path, data)
                else:
                    ok = _check_builtin(name, params, value, path, data, has_numeric)
                if ok:
                    continue
                override = messages.get(f"{path}.{name}") or messages.get(f"{key}.{name}") or messages.get(name)
                if isinstance(rule, Check) and override is None:
                    override = rule.message
                failures.append((path, name, _message(name, attribute, value, params, has_numeric, override)))
                if implicit:
                    failed_implicit = True
                if failed_implicit or "bail" in names:
                    break
    return failures


def validate(
    data: dict[str, Any],
    rules: Mapping[str, str | Sequence[Rule]],
    attributes: Mapping[str, str] | None = None,
    messages: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """Validate like a Laravel Form Request: raise ValidationFailed (422) or return the validated subset
    (the top-level keys that have rules and are present in the data)."""
    failures = collect_failures(data, rules, attributes, messages)
    if failures:
        raise ValidationFailed(failures)
    roots = {key.split(".", 1)[0] for key in rules}
    return {key: value for key, value in data.items() if key in roots}


def to_bool(value: Any) -> bool:
    """PHP's (bool) cast of a validated boolean-ish value."""
    if isinstance(value, str):
        return value not in ("", "0")
    return bool(value)


# ====================================================================== envelopes
def item(
    object_name: str | None, attributes: dict[str, Any] | None, meta: dict[str, Any] | None = None
) -> dict[str, Any]:
    data: dict[str, Any] = {"object": object_name, "attributes": attributes}
    if meta is not None:
        data["meta"] = meta
    return data


def null_resource() -> dict[str, Any]:
    return {"object": "null_resource", "attributes": None}


def list_envelope(items: list[dict[str, Any]], meta: dict[str, Any] | None = None) -> dict[str, Any]:
    data: dict[str, Any] = {"object": "list", "data": items}
    if meta is not None:
        data["meta"] = meta
    return data


def _page_number(raw: Any) -> int:
    if isinstance(raw, str) and re.fullmatch(r"[+-]?\d+", raw):
        number = int(raw)
        return number if number >= 1 else 1
    return 1


def per_page_value(request: web.Request, default: int, maximum: int | None) -> int:
    """per_page from the query string only. Application lists (no maximum): non-numeric -> 500 like the panel.
    Client lists: min(per_page, maximum). 0 falls back to Laravel's model default of 15."""
    raw = query(request).get("per_page")
    if raw is None:
        value = default
    elif isinstance(raw, str) and re.fullmatch(r"-?\d+", raw):
        value = int(raw)
    elif maximum is not None:
        value = maximum  # PHP's min("abc", 100) is 100
    else:
        raise server_error()
    if maximum is not None:
        value = min(value, maximum)
    if value < 0:
        raise server_error()
    return value or 15


def page_link(request: web.Request, page: int, keep_query: bool) -> str:
    base = str(request.url.with_query(None).with_fragment(None))
    if not keep_query:
        return f"{base}?{urlencode({'page': page})}"
    pairs = parse_qsl(request.rel_url.raw_query_string, keep_blank_values=True)
    replaced = False
    out: list[tuple[str, str]] = []
    for key, value in pairs:
        if key == "page":
            if not replaced:
                out.append(("page", str(page)))
                replaced = True
            continue
        out.append((key, value))
    if not replaced:
        out.append(("page", str(page)))
    return f"{base}?{urlencode(out)}"


def pagination_meta(
    request: web.Request, total: int, count: int, per_page: int, page: int, keep_query: bool
) -> dict[str, Any]:
    total_pages = max(1, math.ceil(total / per_page))
    links: dict[str, str] = {}
    if page > 1:
        links["previous"] = page_link(request, page - 1, keep_query)
    if page < total_pages:
        links["next"] = page_link(request, page + 1, keep_query)
    return {
        "total": total,
        "count": count,
        "per_page": per_page,
        "current_page": page,
        "total_pages": total_pages,
        "links": links,
    }


def paginate(
    request: web.Request,
    rows: Sequence[Any],
    transform: Callable[[Any], dict[str, Any]],
    default_per_page: int = 50,
    max_per_page: int | None = None,
    app_links: bool = True,
    extra_meta: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """A paginated list envelope. ``app_links``: links drop the query string (application lists, backups);
    False keeps it (client server list, activity lists)."""
    per_page = per_page_value(request, default_per_page, max_per_page)
    page = _page_number(query(request).get("page"))
    start = (page - 1) * per_page
    window = rows[start : start + per_page]
    data = [transform(row) for row in window]
    meta: dict[str, Any] = dict(extra_meta or {})
    meta["pagination"] = pagination_meta(request, len(rows), len(data), per_page, page, keep_query=not app_links)
    return list_envelope(data, meta)


# ====================================================================== filters, sorts, includes
FilterSpec = tuple[str, str] | Callable[[list[dict[str, Any]], list[Any]], list[dict[str, Any]]]


def _filter_values(raw: Any) -> list[Any]:
    if isinstance(raw, list):
        values = raw
    elif isinstance(raw, dict):
        values = list(raw.values())
    else:
        values = str(raw).split(",")
    converted: list[Any] = []
    for value in values:
        if isinstance(value, str) and value.lower() in ("true", "false"):
            converted.append(value.lower() == "true")  # spatie turns these into booleans
        else:
            converted.append(value)
    return converted


def apply_filters(
    rows: list[dict[str, Any]], query_data: Mapping[str, Any], allowed: Mapping[str, FilterSpec]
) -> list[dict[str, Any]]:
    """spatie/laravel-query-builder filters. ``allowed`` maps a filter name to (column, "partial"|"exact") or to a
    callback (rows, values) -> rows. Unknown names -> 400 InvalidFilterQuery."""
    filters = query_data.get("filter")
    if not isinstance(filters, dict):
        return rows
    unknown = [name for name in filters if name not in allowed]
    if unknown:
        raise ApiError(
            400,
            "InvalidFilterQuery",
            f"Requested filter(s) `{', '.join(unknown)}` are not allowed. "
            f"Allowed filter(s) are `{', '.join(allowed)}`.",
        )
    for name, raw in filters.items():
        if raw is None or raw == [] or raw == {}:
            continue
        values = _filter_values(raw)
        spec = allowed[name]
        if callable(spec):
            rows = spec(rows, values)
            continue
        column, mode = spec
        if mode == "partial":
            needles = [to_php_string(v).lower() for v in values]
            rows = [
                row
                for row in rows
                if row.get(column) is not None and any(n in to_php_string(row[column]).lower() for n in needles)
            ]
        else:
            wanted = {to_php_string(v).lower() for v in values}
            rows = [row for row in rows if row.get(column) is not None and to_php_string(row[column]).lower() in wanted]
    return rows


def apply_sort(
    rows: list[dict[str, Any]], query_data: Mapping[str, Any], allowed: Mapping[str, str] | Sequence[str]
) -> list[dict[str, Any]]:
    """``sort=a,-b``. ``allowed`` lists sort names (or maps names to columns). Unknown -> 400 InvalidSortQuery."""
    raw = query_data.get("sort")
    columns = dict(allowed) if isinstance(allowed, Mapping) else {name: name for name in allowed}
    if raw is None or not columns:
        return rows
    fields = [f for f in (raw if isinstance(raw, list) else str(raw).split(",")) if f]
    unknown = [f.lstrip("-") for f in fields if f.lstrip("-") not in columns]
    if unknown:
        raise ApiError(
            400,
            "InvalidSortQuery",
            f"Requested sort(s) `{', '.join(unknown)}` is not allowed. Allowed sort(s) are `{', '.join(columns)}`.",
        )
    ordered = list(rows)
    for field in reversed(fields):
        column = columns[field.lstrip("-")]
        ordered.sort(
            key=lambda r: (r.get(column) is not None, r.get(column) if r.get(column) is not None else 0),
            reverse=field.startswith("-"),
        )
    return ordered


# The includes a transformer is asked to render: read, never changed (a frozenset() default is fine).
Includes = AbstractSet[str]


def includes(request: web.Request) -> set[str]:
    """Requested includes from ?include=a,b.c (or include[]=, or a body field ``include``). Nested names also add
    their parents: "allocations.node" gives {"allocations", "allocations.node"}. Depth is capped at 2."""
    names: set[str] = set()
    for source in (query(request).get("include"), body(request).get("include")):
        if source is None:
            continue
        parts = source if isinstance(source, list) else str(source).split(",")
        for part in parts:
            part = str(part).strip()
            if not part:
                continue
            segments = part.split(".")[:2]
            for depth in range(1, len(segments) + 1):
                names.add(".".join(segments[:depth]))
    return names


def sub_includes(requested: Includes, name: str) -> set[str]:
    """The includes nested under ``name``: sub_includes({"a", "a.b"}, "a") == {"b"}."""
    prefix = name + "."
    return {entry[len(prefix) :] for entry in requested if entry.startswith(prefix)}


# ====================================================================== routing
def route(routes: web.RouteTableDef, method: str, path: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Register a handler on an API's RouteTableDef (GET also answers HEAD, as Laravel does)."""
    method = method.upper()
    if method == "GET":
        return routes.get(path, allow_head=True)
    return routes.route(method, path)
