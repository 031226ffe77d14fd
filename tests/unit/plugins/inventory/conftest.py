"""The inventory tests' shared fixtures (a fake panel, an inventory file), defined beside the fake panel."""

from test_pterodactyl_plugin import config, panel  # noqa: F401  pylint: disable=unused-import
