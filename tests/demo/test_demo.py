"""`make demo` as a newcomer runs it: four titled sections and every command's real exit code.

It also prints no private key and no access token. The demo fails itself when a command's exit code is not the one it shows, so a run that exits 0
proves the story it tells: the PR preview of a rotation, `check` healthy / renewal window / expired,
drift found by `pulumi refresh` (exit 7) and `check --drift`, repaired by `pulumi up --refresh`.
"""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[2]
SECTIONS = ("0. First deployment", "1. PR preview", "2. Operations", "3. Drift", "4. The integration's login")
# The exit codes the demo shows, section by section, in order.
EXIT_CODES = {
    "1. PR preview": [0, 0, 0, 0],  # config set, preview --json, preview-summary, up
    "2. Operations": [0, 1, 2, 2],  # check today, in the renewal window, past not-after, prometheus
    "3. Drift": [7, 2, 0, 0],  # refresh --expect-no-changes, check --drift, up --refresh, check --drift
}


def sections_of(text: str) -> dict[str, str]:
    starts = [text.index(title) for title in SECTIONS]
    assert starts == sorted(starts), "the sections are out of order"
    ends = starts[1:] + [len(text)]
    return {title: text[start:end] for title, start, end in zip(SECTIONS, starts, ends, strict=True)}


def shown_exit_codes(text: str) -> list[int]:
    return [int(code) for code in re.findall(r"^-> exit (\d+): ", text, re.MULTILINE)]


def test_make_demo_shows_the_whole_job_in_four_sections(tmp_path: Path, pulumi_bin: Path):
    env = {**os.environ, "SALESFORCE_JWT_DEMO_DIR": str(tmp_path / "demo")}
    result = subprocess.run(["make", "-s", "demo"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    out = result.stdout
    assert result.returncode == 0, out[-4000:] + result.stderr[-2000:]
    assert "demo passed" in out and "Stopped the emulators." in out
    sections = sections_of(out)
    for title, codes in EXIT_CODES.items():
        assert shown_exit_codes(sections[title]) == codes, sections[title][-3000:]
    assert "(expected " not in out  # every code shown is the one the demo announced
    preview = sections["1. PR preview"]
    assert "Rotation: yes" in preview and "Downtime risk:" in preview
    operations = sections["2. Operations"]
    assert "inside the renewal window" in operations and "certificate expired on" in operations
    assert 'salesforce_jwt_certificate_ready_status{app="Local_JWT_Demo",condition="False"' in operations
    drift = sections["3. Drift"]
    assert "~ certificate_fingerprint:" in drift and "drift" in drift and "in sync" in drift
    assert "logged in as integration@example.com" in sections["4. The integration's login"]
    everything = out + result.stderr
    assert "PRIVATE KEY" not in everything and "privateKeyPem            [secret]" in out
    assert not re.search(r"00D\w{12}!AQ", everything), "an access token was printed"
