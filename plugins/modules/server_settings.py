#!/usr/bin/python
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: server_settings
short_description: Rename, change the Docker image of, or reinstall a Pterodactyl server
version_added: 0.1.0
description:
  - Sets a server's name, description and Docker image the way its users can, and reinstalls it on request.
  - On Pelican the description has a route of its own (the rename route ignores it there); the module uses it.
  - Options left out keep the server's values.
  - Uses the client API. Administrators change everything else with M(ptero.panel.server).
options:
  server:
    description:
      - The server, by its 8-character identifier, its uuid or its name.
      - When no server matches, but exactly one server already carries the name in O(name), that server is used,
        so a rename by name (O(server) the old name, O(name) the new one) can run again and is then unchanged.
        Use the identifier instead if another server may already carry the new name.
    type: str
    required: true
  name:
    description:
      - The server's new name. When the server is found by its name, this renames it.
      - Sent only when it differs from the server's name (and O(description) only when it differs from the
        server's description).
    type: str
  description:
    description:
      - The server's description. V("") clears it.
    type: str
  docker_image:
    description:
      - The Docker image, one of the images of the server's egg, given by the image (for example
        V(ghcr.io/pterodactyl/yolks:java_17)) or by its name in the egg (for example V(Java 17)).
      - The panel refuses a change when an administrator has set an image that is not in the egg's list.
    type: str
  reinstall:
    description:
      - Run the egg's install script again. This always counts as a change and happens after the other settings.
      - The server is unavailable for most actions until the installation has finished.
    type: bool
    default: false
  wait:
    description:
      - With O(reinstall=true), wait until the installation has finished; a failed installation fails the task.
    type: bool
    default: false
  wait_timeout:
    description:
      - Seconds to wait with O(wait=true).
    type: int
    default: 600
extends_documentation_fragment:
  - ptero.panel.connection
  - ptero.panel.connection.client
  - ptero.panel.attributes
author:
  - ptero.panel maintainers (@ptero)
"""

EXAMPLES = r"""
- name: Describe the server
  ptero.panel.server_settings:
    server: Survival
    description: Survival world, whitelisted

- name: Move to Java 17 and reinstall
  ptero.panel.server_settings:
    server: Survival
    docker_image: Java 17
    reinstall: true
    wait: true
"""

RETURN = r"""
server:
  description: The server after the task, as the client API shows it (predicted in check mode).
  returned: always
  type: dict
  contains:
    identifier:
      description: 8-character identifier.
      type: str
      sample: 1a7ce997
    uuid:
      description: Full uuid.
      type: str
      sample: 1a7ce997-259b-452e-8b4e-cecc464142ca
    name:
      description: Name.
      type: str
      sample: Survival
    description:
      description: Description.
      type: str
      sample: Survival world, whitelisted
    docker_image:
      description: Docker image.
      type: str
      sample: ghcr.io/pterodactyl/yolks:java_17
    status:
      description: V(null) when installed, V(installing) during a (re)installation, or another state.
      type: str
      sample: installing
changed_fields:
  description: The settings the task changed (V(reinstall) included).
  returned: when something changed
  type: list
  elements: str
  sample: [docker_image, reinstall]
"""

import time

from ansible_collections.ptero.panel.plugins.module_utils._lookup import find_client_server
from ansible_collections.ptero.panel.plugins.module_utils._module import (
    PanelModule,
    PanelResource,
    TaskFailure,
    failure_context,
    without_none,
)
from ansible_collections.ptero.panel.plugins.module_utils._servers import server_path


class ServerSettings(PanelResource):
    result_key = "server"
    managed_fields = ("name", "description", "docker_image")

    def __init__(self, module, server):
        super().__init__(module)
        self.server = server

    def describe(self, obj=None):
        return f"server '{(obj or self.server)['name']}'"

    def find(self):
        return self.server

    def desired(self):
        desired = without_none({key: self.params[key] for key in self.managed_fields})
        image = desired.get("docker_image")
        if image is not None and image != self.server.get("docker_image"):
            desired["docker_image"] = self.egg_image(image)
        return desired

    def egg_image(self, wanted):
        """The image `wanted` names (an image of the egg, or the name of one); fails naming the egg's images."""
        with failure_context(f"Could not read the Docker images of {self.describe()}"):
            _variables, meta = self.client.call_with_meta("client.startup.get", server_path(self.server))
        images = meta.get("docker_images") or {}
        if wanted in images.values():
            return wanted
        if wanted in images:
            return images[wanted]
        offered = ", ".join(f"{image} ({name})" for name, image in images.items()) or "none"
        raise TaskFailure(
            f"docker_image: '{wanted}' is not one of the images of the egg of {self.describe()}: {offered}"
        )

    def update(self, current, desired):
        path = server_path(current)
        changes = self.compare(current, desired)
        if "name" in changes or "description" in changes:
            self.rename(path, current, desired, changes)
        if "docker_image" in changes:
            self.client.call("client.settings.docker_image", path, body={"docker_image": desired["docker_image"]})
        return self.client.call("client.servers.get", path)

    def rename(self, path, current, desired, changes):
        """Pterodactyl's rename sets name and description together (name required; an absent description is left
        as it is). Pelican's rename ignores a description: it has a route of its own there."""
        separate = "description" in changes and self.client.supports("client.settings.description")
        if "name" in changes or ("description" in changes and not separate):
            body = {"name": desired.get("name", current["name"])}
            if "description" in changes and not separate:
                body["description"] = desired["description"]
            self.client.call("client.settings.rename", path, body=body)
        if separate:
            self.client.call("client.settings.description", path, body={"description": desired["description"] or None})

    def wait_installed(self, server):
        """Poll until the installation is over; failures say the reinstall was started (changed)."""
        path = server_path(server)
        timeout = self.params["wait_timeout"]
        deadline = time.monotonic() + timeout
        delay = 0.25
        while server.get("status") == "installing":
            if time.monotonic() >= deadline:
                raise TaskFailure(
                    f"Timed out after {timeout}s waiting for {self.describe(server)} to finish installing",
                    server=server,
                )
            time.sleep(min(delay, max(deadline - time.monotonic(), 0)))
            delay = min(delay * 2, 5.0)
            with failure_context(f"Could not read {self.describe(server)}"):
                server = self.client.call("client.servers.get", path)
        if server.get("status") == "install_failed":
            raise TaskFailure(f"{self.describe(server)} failed to install (status install_failed)", server=server)
        return server

    def reinstall(self, outcome):
        """Reinstall after the settings; the outcome's server is the one now installing."""
        outcome = outcome.but(changed=True, changed_fields=[*list(outcome.changed_fields or []), "reinstall"])
        server = outcome.obj
        if self.module.check_mode:
            return outcome.but(obj={**server, "status": "installing"})
        path = server_path(server)
        # A failure after earlier setting changes still reports them (the engine records every write).
        with failure_context(f"Could not reinstall {self.describe(server)}"):
            self.client.call("client.settings.reinstall", path)
        self.module.record_write("started a reinstall")
        with failure_context(f"Could not read {self.describe(server)}"):
            return outcome.but(obj=self.client.call("client.servers.get", path))


def find_server(module):
    """The server of `server`; or, when there is none, the one already carrying the new `name` (a rename run again)."""
    ref, new_name = module.params["server"], module.params["name"]
    with failure_context("Could not look up the server"):
        server = find_client_server(module.client, ref)
        if server is None and new_name is not None and new_name != ref:
            server = find_client_server(module.client, new_name)
            if server is None:
                raise TaskFailure(
                    f"server: no server '{ref}' visible to this API key, nor one already named '{new_name}'"
                )
    if server is None:
        raise TaskFailure(f"server: no server '{ref}' visible to this API key")
    return server


def main():
    module = PanelModule(
        {
            "server": {"type": "str", "required": True},
            "name": {"type": "str"},
            "description": {"type": "str"},
            "docker_image": {"type": "str"},
            "reinstall": {"type": "bool", "default": False},
            "wait": {"type": "bool", "default": False},
            "wait_timeout": {"type": "int", "default": 600},
        },
        api="client",
    )
    with module.failures_reported():
        settings = ServerSettings(module, find_server(module))
        outcome = module.ensure(settings)
        if module.params["reinstall"]:
            outcome = settings.reinstall(outcome)
            if module.params["wait"] and not module.check_mode:
                outcome = outcome.but(obj=settings.wait_installed(outcome.obj))
    module.exit_json(**outcome.result())


if __name__ == "__main__":
    main()
