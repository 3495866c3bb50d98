"""A bounded load test against a real `rag serve` (bench/load_test.py, smaller numbers).

It caught a real bug: a server's first concurrent requests each built the store.
"""

import json
import subprocess
import sys

from tests.conftest import ROOT


def test_concurrent_clients_get_the_sequential_answers() -> None:
    out = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "load_test.py"), "--clients", "10", "--requests", "30",
         "--timeout", "120"],
        capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    report = json.loads(out.stdout[out.stdout.index("{") :])
    assert report["requests"] == 30
    assert report["errors"] == 0, out.stderr
    assert report["answers_differing_from_sequential"] == 0
    # Concurrent clients must not grow the server without bound (issue: peak RSS targets).
    assert report["server_peak_rss_mb"] < 1500
    assert out.returncode == 0
