#!/usr/bin/python
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: console_command
short_description: Send console commands to a Pterodactyl or Pelican server and return their output
version_added: 0.1.0
description:
  - Opens the live console of a server (the Wings websocket the panel's console page uses), sends one or more
    commands and returns the console lines printed after them.
  - Wings never acknowledges a command; the only evidence is the output the game prints. The task therefore ends
    when a line matches O(wait_for), or, without O(wait_for), when the console has been quiet for O(settle) seconds.
  - Wings silently drops commands sent to a server that is not running, so by default the task fails at once,
    sending nothing, when the server is not running (O(require_running)).
  - Several commands are sent in order. Before each next command the module waits until the output of the previous
    one has settled, so the output stays complete and in order.
  - The websocket token is renewed on the same connection when Wings announces its expiry, so long waits lose no
    line. Neither the token nor the API key ever appears in the task's result, warnings or logs.
  - Panels 1.12.0 and later, and Pelican, allow 5 websocket tokens per minute per server (shared by every user and
    browser). The task fetches one token and, when the panel answers 429, waits as long as the panel asks
    (C(Retry-After)) within the retry budget (O(retries)), so several console and power tasks in a row succeed.
  - On Pelican the commands also go over the websocket, because Pelican's command route answers a command to an
    offline server with success and so could not report an offline server. Wings' own console lines read
    C([pelican Daemon]:) there and are returned like any other line. Pelican Wings refuses a token without the
    C(user_uuid) and C(server_uuid) claims; the task then fails at once saying so (RV(kind) V(missing_identity)).
  - When Wings closes the console because the key's user lost or changed access (panel and Wings 1.12 and later
    close it when subuser permissions change or the subuser is removed, the owner changes or the password changes),
    or refuses a token without a C(scope) (Wings 1.12.2 and later with a panel older than 1.12.3), the task fails
    with a message that says so and what to do; neither is retried.
  - Needs the C(websocket-client) Python library on the host that runs the module, and a network path from there
    to the node running Wings (the socket address the panel hands out). O(validate_certs) also applies to the
    certificate of Wings.
  - A console command is not idempotent; the task reports a change whenever a command was sent.
  - Uses the client API.
options:
  server:
    description: The server, by identifier (the 8-character one or, on any panel, the C(serv_...) one), UUID or name.
    type: str
    required: true
  command:
    description:
      - The console command, or a list of commands sent in order. Each is one line, without line breaks, at most
        about 3.5 kB.
      - Leave it out to only watch the console (with O(wait_for)) or to read the recent output (O(include_history)).
    type: raw
  wait_for:
    description:
      - A regular expression (Python syntax, searched in each line with the colour codes removed). The task
        finishes as soon as a console line printed after the first command (without O(command), after connecting)
        matches it, and every command has been sent.
      - Without a match within O(timeout) the task fails and returns the lines seen so far.
      - Lines replayed by O(include_history) are never matched.
    type: str
  timeout:
    description:
      - Seconds the exchange may take once the console is open, from sending the first command until the last
        line is collected. Without O(wait_for) it only caps O(settle) for output that never stops.
      - It also bounds connecting to the console and each request to the panel.
      - If not set, the value of the E(PTERODACTYL_TIMEOUT) environment variable is used.
    type: float
    default: 30
  settle:
    description:
      - Seconds of quiet console after the last line before the output of a command counts as complete.
      - Used after every command but the last, and after the last one when O(wait_for) is not set (or already
        matched).
    type: float
    default: 1.0
  include_history:
    description:
      - First ask Wings for the recent console output of the server (the lines the panel's console page shows when
        opened) and return it as RV(history), separately from RV(output).
      - Wings only replays the output of a running server.
    type: bool
    default: false
  require_running:
    description:
      - Fail at once, sending nothing, when the server is not running (Wings would silently drop the commands).
      - With V(false) the commands are sent whatever the state.
      - Only applies when O(command) is given.
    type: bool
    default: true
  raw:
    description: Also return the lines as received, with their colour and control codes (RV(raw_output)).
    type: bool
    default: false
  origin:
    description:
      - The C(Origin) header sent to Wings. Wings accepts only its panel's URL exactly as the panel wrote it into
        Wings' configuration (its C(remote) setting) and the origins listed in its C(allowed_origins).
      - Defaults to the scheme, host and port of O(url). When Wings refuses that default, it is tried once more
        with a trailing slash. Pelican writes its C(APP_URL) into C(remote) as configured, so an C(APP_URL) set
        with a trailing slash must be sent with it.
      - A value set here is sent as given, and only that value.
    type: str
  max_lines:
    description:
      - At most this many lines are kept (the latest ones); RV(dropped_lines) counts the others and a warning is
        given. Bounds the memory a flood of output can take.
    type: int
    default: 10000
extends_documentation_fragment:
  - ptero.panel.connection
  - ptero.panel.connection.client
  - ptero.panel.attributes
attributes:
  check_mode:
    support: full
    description: In check mode the console is opened and the server state checked, but nothing is sent.
  diff_mode:
    support: none
    description: A console command has no before and after to show.
requirements:
  - websocket-client
author:
  - ptero.panel maintainers (@ptero)
"""

EXAMPLES = r"""
- name: Announce a restart
  ptero.panel.console_command:
    url: https://panel.example.com
    api_key: "{{ pterodactyl_client_key }}"
    server: survival
    command: say The server restarts in 5 minutes

- name: Save the world and wait until it is saved
  ptero.panel.console_command:
    server: survival
    command:
      - save-off
      - save-all flush
    wait_for: 'Saved the game'
    timeout: 120

- name: Who is online?
  ptero.panel.console_command:
    server: survival
    command: list
    settle: 0.5
  register: online

- name: Wait until the server has finished starting
  ptero.panel.console_command:
    server: survival
    wait_for: 'Done \([0-9.]+s\)!'
    timeout: 300

- name: Read the recent console output
  ptero.panel.console_command:
    server: survival
    include_history: true
  register: recent
"""

RETURN = r"""
commands:
  description: The commands sent, in order (in check mode, the commands that would be sent).
  returned: always
  type: list
  elements: str
  sample: [list]
output:
  description:
    - The console lines printed after the commands (after connecting when no command was given), without colour
      codes, one entry per line, oldest first.
    - With O(wait_for), the lines up to and including the matching one.
    - On failure, the lines seen before the failure.
  returned: always
  type: list
  elements: str
  sample: ["There are 2 of a max of 20 players online:", "alice, bob"]
raw_output:
  description: RV(output) as received, with colour and control codes.
  returned: when O(raw=true)
  type: list
  elements: str
  sample: ["There are 2 of a max of 20 players online:", "alice, bob"]
history:
  description: The recent console lines Wings replayed before the commands were sent, without colour codes.
  returned: when O(include_history=true)
  type: list
  elements: str
  sample: ["[12:00:01 INFO]: Done (3.2s)! For help, type \"help\""]
raw_history:
  description: RV(history) as received, with colour and control codes.
  returned: when O(include_history=true) and O(raw=true)
  type: list
  elements: str
  sample: ["[12:00:01 INFO]: Done (3.2s)! For help, type \"help\""]
matched:
  description: Whether a line matched O(wait_for); always V(false) without O(wait_for).
  returned: always
  type: bool
  sample: true
match:
  description: The first line that matched O(wait_for); V(null) when none did.
  returned: always
  type: str
  sample: "[Server] ready"
status:
  description: The server's power state when the task finished (C(offline), C(starting), C(running) or C(stopping)).
  returned: always
  type: str
  sample: running
initial_status:
  description: The server's power state when the console was opened.
  returned: always
  type: str
  sample: running
stop_reason:
  description:
    - Why collecting output ended. V(match) (O(wait_for) matched), V(idle) (quiet for O(settle) seconds), V(timeout)
      (O(timeout) reached without O(wait_for)), V(offline) (the server went offline), V(history) (only the history
      was read) or V(check_mode).
    - On failure, the same as RV(kind).
  returned: always
  type: str
  sample: idle
elapsed:
  description: Seconds from opening the console until the task finished.
  returned: always
  type: float
  sample: 1.532
token_renewals:
  description: How often the websocket token was renewed during the task.
  returned: always
  type: int
  sample: 0
throttled:
  description:
    - Whether Wings reported dropping console lines (C(outputting console data too quickly)) or messages of this
      connection. The output may then be incomplete; a warning is also given.
  returned: always
  type: bool
  sample: false
dropped_lines:
  description: Lines not kept because of O(max_lines) (the oldest are dropped).
  returned: always
  type: int
  sample: 0
lost_events:
  description: Console events Wings replaced by token errors while the token was being renewed (lines that may be
    missing).
  returned: always
  type: int
  sample: 0
feature_matches:
  description:
    - Pelican only, where Wings reports it; always empty on Pterodactyl. The console lines of the task that matched
      a pattern of one of the egg's features (for example a EULA prompt or a Java version error), oldest first, at
      most 100.
    - Each has C(key) (the feature), C(pattern) (what Wings looked for) and C(line) (the line, without colour codes).
    - Wings reports a match just after the line. When that line ends the task (it matched O(wait_for)), the report
      may come too late to be included.
  returned: always
  type: list
  elements: dict
  sample: [{key: eula, pattern: "you need to agree to the eula in order to run the server",
            line: "You need to agree to the EULA in order to run the server. Go to eula.txt for more info."}]
kind:
  description:
    - On failure, what went wrong, for example V(auth) (the panel refused the key), V(origin), V(connect), V(tls),
      V(jwt), V(daemon), V(offline), V(permission), V(timeout), V(closed), V(refresh), V(suspended), V(deleted),
      V(deauthorized) (Wings closed the console because the user lost or changed access), V(missing_scope)
      (Wings 1.12.2+ refused a token from a panel older than 1.12.3), V(missing_identity) (Pelican Wings refused a
      token without C(user_uuid) or C(server_uuid)).
  returned: on failure
  type: str
  sample: timeout
"""

import collections
import re
import time
import typing as t

from ansible.module_utils.basic import missing_required_lib

from ansible_collections.ptero.panel.plugins.module_utils._console import (
    HAS_WEBSOCKET,
    KIND_OFFLINE,
    KIND_PERMISSION,
    KIND_TIMEOUT,
    PERMISSION_CONSOLE,
    WEBSOCKET_IMPORT_ERROR,
    ConsoleClient,
    ConsoleError,
    ConsoleResult,
    ConsoleSession,
    command_problem,
)
from ansible_collections.ptero.panel.plugins.module_utils._module import PanelModule, TaskFailure
from ansible_collections.ptero.panel.plugins.module_utils._servers import client_server


def commands_from(value: t.Any) -> list[str]:
    """The `command` option as a list of single-line commands; ValueError says what is wrong."""
    if value is None:
        return []
    items = value if isinstance(value, list) else [value]
    commands = []
    for position, item in enumerate(items, start=1):
        if isinstance(item, bool) or not isinstance(item, (str, int, float)):
            raise ValueError(f"command {position} is a {type(item).__name__}, not a string")
        text = str(item)
        problem = command_problem(text)
        if problem is not None:
            raise ValueError(f"command {position} {problem[1]}")
        commands.append(text)
    return commands


def request_history(session: ConsoleSession) -> None:
    """Ask Wings to replay the recent console lines (`send logs`)."""
    session.request("send logs")


class Transcript:
    """The output of the whole exchange, across the collections after each command, bounded to `max_lines`."""

    def __init__(self, max_lines: int, pattern: t.Pattern[str] | None) -> None:
        self.pattern = pattern
        self.entries: collections.deque[tuple[str, str]] = collections.deque(maxlen=max_lines)
        self.overflow = 0  # lines pushed out of `entries`
        self.match: str | None = None
        self.stop_reason = ""
        self.throttled = False
        # Drops and token losses the session reports are counted since the last command sent: kept per command.
        self.dropped: dict[int, int] = {}
        self.lost: dict[int, int] = {}

    def add(self, result: ConsoleResult, segment: int) -> None:
        raw_lines = result.raw_lines if result.raw_lines is not None else result.lines
        for line, raw_line in zip(result.lines, raw_lines):
            self.append(line, raw_line)
        self.stop_reason = result.stop_reason
        self.throttled = self.throttled or result.throttled
        self.dropped[segment] = max(self.dropped.get(segment, 0), result.dropped)
        self.lost[segment] = max(self.lost.get(segment, 0), result.lost_events)

    def append(self, line: str, raw_line: str) -> None:
        if len(self.entries) == self.entries.maxlen:
            self.overflow += 1
        self.entries.append((line, raw_line))
        if self.match is None and self.pattern is not None and self.pattern.search(line):
            self.match = line

    @property
    def lines(self) -> list[str]:
        return [line for line, _raw in self.entries]

    @property
    def raw_lines(self) -> list[str]:
        return [raw_line for _line, raw_line in self.entries]

    @property
    def dropped_lines(self) -> int:
        return self.overflow + sum(self.dropped.values())

    @property
    def lost_events(self) -> int:
        return sum(self.lost.values())


class Console:
    """One run of the module: open the console, optionally read the history, send the commands, collect."""

    def __init__(
        self, module: PanelModule, server: dict[str, t.Any], commands: list[str], pattern: t.Pattern[str] | None
    ) -> None:
        self.module = module
        self.params = module.params
        self.server = server
        self.name = f"server '{server['name']}'"
        self.commands = commands
        self.pattern = pattern
        self.transcript = Transcript(self.params["max_lines"], pattern)
        self.history: Transcript | None = None
        if self.params["include_history"]:
            self.history = Transcript(self.params["max_lines"], None)  # never matched against wait_for
        self.session = ConsoleSession(
            ConsoleClient.for_module(module),
            server["identifier"],
            origin=self.params["origin"],
            validate_certs=self.params["validate_certs"],
            timeout=self.params["timeout"],
            max_lines=self.params["max_lines"],
        )
        self.sent = 0
        self.initial_status: str | None = None
        self.started = time.monotonic()

    def run(self) -> dict[str, t.Any]:
        """The module result; TaskFailure (with the output so far) when the console failed."""
        try:
            self.session.connect()
            self.initial_status = self.session.status
            self.check_can_send()
            if self.module.check_mode:
                return self.success("check_mode")
            self.read_history()
            self.exchange()
        except ConsoleError as error:
            raise self.failure(error) from None
        finally:
            self.session.close()
        return self.success(self.transcript.stop_reason)

    def check_can_send(self) -> None:
        """Fail before sending anything when the commands could not all be delivered."""
        if not self.commands:
            return
        if not self.session.can(PERMISSION_CONSOLE):
            raise ConsoleError(
                KIND_PERMISSION,
                "the API key's user lacks the control.console permission on the "
                "server: Wings would silently ignore the commands",
            )
        if self.params["require_running"] and self.session.status != "running":
            raise ConsoleError(
                KIND_OFFLINE,
                f"the server is {self.session.status or 'in an unknown state'}, not running: "
                "Wings would silently drop the commands, so none was sent (set require_running=false "
                "to send them anyway, or start the server with ptero.panel.power)",
            )

    def read_history(self) -> None:
        if self.history is None or self.session.status not in ("running", "starting", "stopping"):
            return  # Wings replays nothing for a server that is not running
        request_history(self.session)
        try:
            result = self.session.collect(
                timeout=self.params["timeout"],
                settle=self.params["settle"],
                raw=self.params["raw"],
                stop_on_offline=False,
            )
        except ConsoleError as error:
            for line in error.lines:
                self.history.append(line, line)
            error.lines = []  # history, not output
            raise
        self.history.add(result, segment=0)

    def exchange(self) -> None:
        settle = self.params["settle"]
        if not self.commands and self.pattern is None:
            self.transcript.stop_reason = "history"  # only the history was asked for
            return
        deadline = time.monotonic() + self.params["timeout"]
        for number, command in enumerate(self.commands, start=1):
            if number > 1:
                # Settle the previous command's output first: sending discards lines not yet collected.
                self.collect(None, deadline, settle, segment=number - 1)
            self.session.send(command, require_running=self.params["require_running"])
            self.sent = number
        waiting_for = self.pattern if self.transcript.match is None else None
        self.collect(waiting_for, deadline, settle, segment=len(self.commands))

    def collect(self, pattern: t.Pattern[str] | None, deadline: float, settle: float, segment: int) -> None:
        remaining = max(0.0, deadline - time.monotonic())
        try:
            result = self.session.collect(wait_for=pattern, timeout=remaining, settle=settle, raw=self.params["raw"])
        except ConsoleError as error:
            for line in error.lines:
                self.transcript.append(line, line)
            error.lines = []
            if error.kind == KIND_TIMEOUT and pattern is not None:
                # The session names the time left of this collection; the user gave the whole timeout.
                error.message = (
                    f"no console line matched {pattern.pattern!r} within {self.params['timeout']:g}s "
                    "(output holds the lines seen)"
                )
            raise
        self.transcript.add(result, segment)

    # results -------------------------------------------------------------------------------------------------------
    def result(self) -> dict[str, t.Any]:
        transcript = self.transcript
        result: dict[str, t.Any] = {
            "commands": self.commands[: self.sent] if not self.module.check_mode else list(self.commands),
            "output": transcript.lines,
            "matched": transcript.match is not None,
            "match": transcript.match,
            "status": self.session.status,
            "initial_status": self.initial_status,
            "elapsed": round(time.monotonic() - self.started, 3),
            "token_renewals": self.session.refreshes,
            "throttled": transcript.throttled or bool(self.history and self.history.throttled),
            "dropped_lines": transcript.dropped_lines,
            "lost_events": transcript.lost_events,
            "feature_matches": list(self.session.protocol.feature_matches),
        }
        if self.params["raw"]:
            result["raw_output"] = transcript.raw_lines
        if self.history is not None:
            result["history"] = self.history.lines
            if self.params["raw"]:
                result["raw_history"] = self.history.raw_lines
        return result

    def warn_about_gaps(self, result: dict[str, t.Any]) -> None:
        if result["throttled"]:
            self.module.warn(
                f"Wings throttled the console of {self.name} (too much output, or too many messages): "
                "the output may be incomplete."
            )
        if result["dropped_lines"]:
            self.module.warn(
                f"{result['dropped_lines']} console line(s) of {self.name} were not kept (max_lines="
                f"{self.params['max_lines']}); output holds the latest ones."
            )
        if result["lost_events"]:
            self.module.warn(
                f"{result['lost_events']} console event(s) of {self.name} arrived while the websocket "
                "token was being renewed and were lost."
            )
        for message in self.session.protocol.daemon_errors:
            self.module.warn(f"Wings reported an error on the console of {self.name}: {message}")

    def success(self, stop_reason: str) -> dict[str, t.Any]:
        result = self.result()
        self.warn_about_gaps(result)
        return {
            "changed": bool(self.commands) if self.module.check_mode else self.sent > 0,
            "stop_reason": stop_reason,
            **result,
        }

    def failure(self, error: ConsoleError) -> TaskFailure:
        for line in error.lines:
            self.transcript.append(line, line)
        result = self.result()
        self.warn_about_gaps(result)
        return TaskFailure(
            f"Console of {self.name}: {error.message}",
            kind=error.kind,
            changed=self.sent > 0 and not self.module.check_mode,
            stop_reason=error.kind,
            **result,
        )


def checked_options(module: PanelModule) -> tuple[list[str], t.Pattern[str] | None]:
    """The commands and the wait_for pattern; fails on options that cannot work together."""
    try:
        commands = commands_from(module.params["command"])
    except ValueError as error:
        module.fail_json(msg=f"command: {error}")
    if not commands and module.params["wait_for"] is None and not module.params["include_history"]:
        module.fail_json(msg="nothing to do: give command, wait_for or include_history=true")
    pattern = None
    if module.params["wait_for"] is not None:
        try:
            pattern = re.compile(module.params["wait_for"])
        except re.error as error:
            module.fail_json(msg=f"wait_for: not a valid regular expression: {error}")
    if module.params["settle"] < 0:
        module.fail_json(msg="settle: must not be negative")
    if module.params["max_lines"] < 1:
        module.fail_json(msg="max_lines: must be at least 1")
    return commands, pattern


def main() -> None:
    module = PanelModule(
        {
            "server": {"type": "str", "required": True},
            "command": {"type": "raw"},
            "wait_for": {"type": "str"},
            "settle": {"type": "float", "default": 1.0},
            "include_history": {"type": "bool", "default": False},
            "require_running": {"type": "bool", "default": True},
            "raw": {"type": "bool", "default": False},
            "origin": {"type": "str"},
            "max_lines": {"type": "int", "default": 10000},
        },
        api="client",
    )
    if not HAS_WEBSOCKET:
        module.fail_json(msg=missing_required_lib("websocket-client"), exception=WEBSOCKET_IMPORT_ERROR)
    commands, pattern = checked_options(module)
    with module.failures_reported():
        result = Console(module, client_server(module.client, module.params["server"]), commands, pattern).run()
    module.exit_json(**result)


if __name__ == "__main__":
    main()
