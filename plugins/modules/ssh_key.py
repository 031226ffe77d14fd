#!/usr/bin/python
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: ssh_key
short_description: Manage the SSH keys of your Pterodactyl or Pelican account
version_added: 0.1.0
description:
  - Adds and removes the public SSH keys that the account owning the task's O(api_key) can use for SFTP.
  - A key is identified by its name. Keys are compared by their SHA-256 fingerprint, since the panel stores them in
    another format. The panel cannot change a key, so when the name has another key it is replaced (the new key is
    added before the old one is removed).
  - Works on Pterodactyl and Pelican. Pelican deletes a key by its fingerprint and answers 404 for one it does not
    have, so the key is always looked up first and only an existing key is deleted.
  - Pelican's API cannot delete a key whose fingerprint contains C(/) (about half of all keys); its route takes the
    fingerprint as one path segment and answers 404. Removing or replacing such a key fails before anything is
    sent (in check mode too), saying to delete it in the panel; replacing it would otherwise add the new key and
    leave the old one. When Pelican answers 404 for another key it still lists, the task fails the same way.
  - Uses the client API.
options:
  name:
    description:
      - Name of the key; it identifies the key, so it should be unique on the account.
    type: str
    required: true
  public_key:
    description:
      - The public key in OpenSSH format (C(ssh-ed25519 AAAA... comment)), for example from a C(.pub) file.
      - The panel refuses DSA keys and RSA keys shorter than 2048 bits.
      - Only the key types panel 1.14.1 and later accept are taken, on every panel version, with at most 16384
        characters. These are C(ssh-rsa), C(ssh-ed25519), C(ecdsa-sha2-*), C(sk-ssh-ed25519@openssh.com) and
        C(sk-ecdsa-sha2-nistp256@openssh.com); others fail before anything is sent.
      - Required to add a key. With O(state=absent) it is not needed.
    type: str
  state:
    description:
      - V(present) adds the key, V(absent) removes it.
    type: str
    choices: [present, absent]
    default: present
extends_documentation_fragment:
  - ptero.panel.connection
  - ptero.panel.connection.client
  - ptero.panel.attributes
author:
  - ptero.panel maintainers (@ptero)
"""

EXAMPLES = r"""
- name: SFTP access with the deploy key
  ptero.panel.ssh_key:
    name: deploy
    public_key: "{{ lookup('ansible.builtin.file', 'files/deploy.pub') }}"

- name: Remove it
  ptero.panel.ssh_key:
    name: deploy
    state: absent
"""

RETURN = r"""
ssh_key:
  description: The key after the task; V(null) when it is absent.
  returned: always
  type: dict
  contains:
    name:
      description: Name.
      type: str
      sample: deploy
    fingerprint:
      description: SHA-256 fingerprint (unpadded base64, as the panel shows it).
      type: str
      sample: 3y5m0y8VJ0X3yqS6r3o4E7e2uJvWcN1m0aQ9tZs8PbI
    public_key:
      description:
        - The key as the panel stores it (PEM).
        - In check mode, the key that would be added, as given in O(public_key).
      type: str
      sample: "-----BEGIN PUBLIC KEY-----\r\nMCowBQYDK2VwAyEA...\r\n-----END PUBLIC KEY-----"
    created_at:
      description: When it was added.
      type: str
      sample: "2026-01-01T00:00:00+00:00"
"""

import base64
import binascii
import hashlib

from ansible_collections.ptero.panel.plugins.module_utils._client import PanelError
from ansible_collections.ptero.panel.plugins.module_utils._flavour import PELICAN
from ansible_collections.ptero.panel.plugins.module_utils._lookup import one
from ansible_collections.ptero.panel.plugins.module_utils._module import PanelModule, PanelResource, TaskFailure


def bare(fingerprint):
    """A fingerprint without its `SHA256:` prefix and base64 padding, the way the panel shows it."""
    fingerprint = fingerprint or ""
    if fingerprint.startswith("SHA256:"):
        fingerprint = fingerprint.replace("SHA256:", "", 1)
    return fingerprint.rstrip("=")


def fingerprint_of(public_key):
    """SHA-256 fingerprint of an OpenSSH public key line, or None when it is not one."""
    fields = public_key.split()
    if len(fields) < 2:
        return None
    try:
        blob = base64.b64decode(fields[1], validate=True)
    except (binascii.Error, ValueError):
        return None
    return bare(base64.b64encode(hashlib.sha256(blob).digest()).decode("ascii"))


# The key types the panel accepts from 1.14.1 (its prefix allow-list, in OpenSSH form), and its length limit.
ACCEPTED_PREFIXES = (
    "ssh-rsa ",
    "ssh-ed25519 ",
    "ecdsa-sha2-",
    "sk-ssh-ed25519@openssh.com ",
    "sk-ecdsa-sha2-nistp256@openssh.com ",
)
MAX_KEY_LENGTH = 16384


def public_key_problem(public_key):
    """Why the panel (1.14.1+) or this module would refuse `public_key`, or None."""
    if len(public_key) > MAX_KEY_LENGTH:
        return f"is {len(public_key)} characters long; the panel accepts at most {MAX_KEY_LENGTH}"
    if fingerprint_of(public_key) is None:
        return "not an OpenSSH public key (expected 'TYPE BASE64 [comment]', like the content of a .pub file)"
    text = public_key.strip()
    if not text.startswith(ACCEPTED_PREFIXES):
        kind = text.split(" ", 1)[0][:40]
        return (
            f"key type '{kind}' is not accepted by the panel; use one of "
            f"{', '.join(prefix.strip() for prefix in ACCEPTED_PREFIXES[:2])}, ecdsa-sha2-*, "
            f"{', '.join(prefix.strip() for prefix in ACCEPTED_PREFIXES[3:])}"
        )
    return None


class SshKey(PanelResource):
    result_key = "ssh_key"
    noun = "SSH key"
    managed_fields = ("name", "fingerprint")
    create_requires = ("public_key",)

    def __init__(self, module):
        super().__init__(module)
        self.fingerprint = None
        if module.params["public_key"] is not None:
            problem = public_key_problem(module.params["public_key"])
            if problem:
                raise TaskFailure(f"public_key: {problem}")
            self.fingerprint = fingerprint_of(module.params["public_key"])

    def describe(self, obj=None):
        return f"SSH key '{self.params['name']}'"

    def find(self):
        keys = self.client.call("client.ssh_keys.list")
        if self.fingerprint is not None:
            # The panel refuses a key it already has: say under which name.
            elsewhere = [
                key["name"]
                for key in keys
                if bare(key["fingerprint"]) == self.fingerprint and key["name"] != self.params["name"]
            ]
            if elsewhere and self.params["state"] == "present":
                raise TaskFailure(f"public_key: the account already has this key, named '{elsewhere[0]}'")
        found = one([key for key in keys if key["name"] == self.params["name"]], self.describe(), key="fingerprint")
        if found is not None and "/" in found["fingerprint"] and self.would_delete(found):
            self.refuse_undeletable_on_pelican(found)
        return found

    def would_delete(self, found):
        return self.params["state"] == "absent" or (
            self.fingerprint is not None and bare(found["fingerprint"]) != self.fingerprint
        )

    def refuse_undeletable_on_pelican(self, found):
        """Pelican's delete route takes the fingerprint as one path segment with the default pattern, which refuses
        '/' (encoded or not): it answers 404 for such a key and keeps it. Said before any write, so a replacement
        never adds the new key and then strands the old one."""
        if self.client.flavour != PELICAN:
            return
        then = ", then run the task again" if self.params["state"] == "present" else ""
        raise TaskFailure(
            f"SSH key '{found['name']}': Pelican's API cannot delete it: its fingerprint {found['fingerprint']} "
            "contains '/', and Pelican's route DELETE /api/client/account/ssh-keys/{fingerprint} answers 404 for "
            f"such a fingerprint. Nothing was changed; delete the key in the panel (Account > SSH Keys){then}"
        )

    def desired(self):
        desired = {"name": self.params["name"]}
        if self.fingerprint is not None:
            desired["fingerprint"] = self.fingerprint
        return desired

    def compare(self, current, desired):
        if "fingerprint" in desired and bare(current.get("fingerprint")) != desired["fingerprint"]:
            return ["fingerprint"]
        return []

    def predict_create(self, desired):
        return {**desired, "public_key": self.params["public_key"]}

    def predict_update(self, current, desired, changes):
        # The replacement key, not the old key's text beside the new fingerprint.
        return {**current, **self.predict_create(desired), "created_at": None}

    def create(self, desired):
        return self.client.call(
            "client.ssh_keys.create", body={"name": self.params["name"], "public_key": self.params["public_key"]}
        )

    def update(self, current, desired):
        # Add the new key first, so SFTP access never lapses.
        created = self.create(desired)
        self.module.record_write("added the new key (the old one is still there)")
        self.delete(current)
        self.module.record_write("removed the old key")
        return created

    def delete(self, current):
        if self.client.flavour == PELICAN:
            delete_on_pelican(self.client, current)
            return
        self.client.call("client.ssh_keys.delete", body={"fingerprint": current["fingerprint"]})


def delete_on_pelican(client, key):
    """Pelican deletes by fingerprint in the path and answers 404 for a key it does not have, so it is only asked
    for a key just listed (find; a fingerprint with '/', which its route never takes, was refused there). A 404
    then either means the key went meanwhile (what was wanted), or that the panel would not delete it: the list
    tells which."""
    try:
        client.call("client.ssh_keys.delete_by_fingerprint", {"fingerprint": key["fingerprint"]})
    except PanelError as error:
        if error.status != 404:
            raise
        if any(bare(other["fingerprint"]) == bare(key["fingerprint"]) for other in client.call("client.ssh_keys.list")):
            raise TaskFailure(
                f"SSH key '{key['name']}': Pelican answered 404 to deleting it by its fingerprint, yet "
                "still has it; delete the key in the panel (Account > SSH Keys)",
                error=error.to_dict(),
            ) from None


def main():
    module = PanelModule(
        {
            "name": {"type": "str", "required": True},
            "public_key": {"type": "str"},
            "state": {"type": "str", "choices": ["present", "absent"], "default": "present"},
        },
        api="client",
    )
    with module.failures_reported():
        outcome = module.ensure(SshKey(module), module.params["state"])
    module.exit_json(**outcome.result())


if __name__ == "__main__":
    main()
