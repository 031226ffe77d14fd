# Private to ptero.panel: not a public API.
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""_client imports without `requests` so modules can report `missing_required_lib("requests")`."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[4]

SCRIPT = r"""
import json, sys
sys.path.insert(0, sys.argv[1])
from collection_tree import link_collection
from pathlib import Path
base = Path(sys.argv[2])
link_collection(base)
sys.path.insert(0, str(base))
# None in sys.modules makes `import requests` (and urllib3) raise ImportError, as if not installed.
sys.modules["requests"] = None
sys.modules["urllib3"] = None
from ansible_collections.ptero.panel.plugins.module_utils import _client
result = {"has": _client.HAS_REQUESTS, "error": _client.REQUESTS_IMPORT_ERROR,
          "flat": _client.flatten({"object": "x", "attributes": {"a": 1}})}
try:
    _client.PanelClient("https://panel.example.test", "k")
except RuntimeError as error:
    result["client"] = str(error)
result["panel_error"] = str(_client.PanelError("GET", "/api/x", 404, code="NotFoundHttpException", detail="gone"))
print(json.dumps(result))
"""


def test_import_without_requests(tmp_path):
    completed = subprocess.run(
        [sys.executable, "-c", SCRIPT, str(ROOT / "tests" / "tools"), str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr
    result = json.loads(completed.stdout.strip().splitlines()[-1])
    assert result["has"] is False
    assert "import of requests halted" in result["error"]
    assert result["flat"] == {"a": 1}
    assert "requests" in result["client"]
    assert result["panel_error"] == "GET /api/x -> 404 NotFoundHttpException: gone"
