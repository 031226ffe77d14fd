# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action plugin of `ptero.panel.file`: `src` names a file on the controller (searched like `copy`'s src), which is
sent to the host that runs the module before the module uploads it to the server."""

from __future__ import annotations

from ansible.errors import AnsibleError
from ansible.plugins.action import ActionBase

MODULE = "ptero.panel.file"


class ActionModule(ActionBase):
    TRANSFERS_FILES = True

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        del tmp  # not used since ansible-core 2.5
        module_args = dict(self._task.args)
        source = module_args.get("src")
        if not source:
            result.update(self._execute_module(module_name=MODULE, module_args=module_args, task_vars=task_vars))
            return result
        try:
            local_path = self._find_needle("files", source)
        except AnsibleError as error:
            result.update(failed=True, msg=f"src: {error.message}")
            return result
        try:
            if not self._connection._shell.tmpdir:
                self._make_tmp_path()
            remote_path = self._connection._shell.join_path(self._connection._shell.tmpdir, "source")
            self._transfer_file(local_path, remote_path)
            self._fixup_perms2((self._connection._shell.tmpdir, remote_path))
            module_args["src"] = remote_path
            result.update(self._execute_module(module_name=MODULE, module_args=module_args, task_vars=task_vars))
        finally:
            self._remove_tmp_path(self._connection._shell.tmpdir)
        return result
