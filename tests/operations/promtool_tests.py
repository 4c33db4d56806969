"""Turn what `check --format prometheus` printed into a `promtool test rules` file.

promtool's clock starts at 0, so each scenario's ``*_timestamp_seconds`` values are shifted by the
moment its check ran: time 0 of a test group is that moment, and ``x - time()`` keeps its meaning.
Expected alerts are given by name; their labels come from the series and the rule, their
annotations from the rule's ``{{ $labels.NAME }}`` templates (the only template the rules use).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from prometheus_client.parser import text_string_to_metric_families

RULES = Path(__file__).resolve().parents[2] / "monitoring" / "prometheus" / "salesforce-jwt-alerts.yml"
TEST_FILE = RULES.with_name("salesforce-jwt-alerts.test.yml")
SHIFTED_SUFFIX = "_timestamp_seconds"
LEFT_OUT = frozenset({"salesforce_jwt_verification_duration_seconds"})  # differs run to run; no rule reads it
SAMPLES = 180  # three hours of one-minute samples: the value the textfile collector keeps exposing
EVAL_TIME = "2h"  # after every rule's `for`
_LABEL_TEMPLATE = re.compile(r"\{\{\s*\$labels\.(\w+)\s*\}\}")


@dataclass(frozen=True)
class Scenario:
    """One check run: what it was, the exposition it printed, when it ran, which alerts must fire."""

    name: str
    command: str
    exposition: str
    checked_at: float
    firing: frozenset[str]


@dataclass(frozen=True)
class Sample:
    name: str
    labels: dict[str, str]
    value: float


def rules() -> list[dict[str, Any]]:
    """The alerting rules of every group in the rules file."""
    groups = yaml.safe_load(RULES.read_text())["groups"]
    return [rule for group in groups for rule in group["rules"] if "alert" in rule]


def samples(exposition: str) -> list[Sample]:
    """Every sample of the exposition text, in order, empty label values dropped (Prometheus does too)."""
    return [
        Sample(s.name, {k: v for k, v in s.labels.items() if v}, s.value)
        for family in text_string_to_metric_families(exposition)
        for s in family.samples
    ]


def selector(sample: Sample) -> str:
    labels = ",".join(f'{key}="{_escape(value)}"' for key, value in sorted(sample.labels.items()))
    return f"{sample.name}{{{labels}}}"


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def _number(value: float) -> str:
    return str(int(value)) if value == int(value) else repr(value)


def series_values(sample: Sample, checked_at: float) -> str:
    value = sample.value - checked_at if sample.name.endswith(SHIFTED_SUFFIX) else sample.value
    return f"{_number(value)}+0x{SAMPLES}"


def _alert_labels(rule: dict[str, Any], sample: Sample) -> dict[str, str]:
    return {**sample.labels, **rule.get("labels", {})}


def _annotations(rule: dict[str, Any], labels: dict[str, str]) -> dict[str, str]:
    return {
        key: _LABEL_TEMPLATE.sub(lambda m: labels.get(m.group(1), ""), text.strip())
        for key, text in rule.get("annotations", {}).items()
    }


def _source_sample(rule: dict[str, Any], found: list[Sample]) -> Sample:
    """The series a firing alert carries the labels of: the first metric the expression names."""
    names = re.findall(r"salesforce_jwt_\w+(?:\{[^}]*\})?", rule["expr"])
    name, _, matcher = names[0].partition("{")
    wanted = dict(re.findall(r'(\w+)="([^"]*)"', matcher))
    return next(s for s in found if s.name == name and all(s.labels.get(k) == v for k, v in wanted.items()))


def _block(value: Any, indent: int) -> list[str]:
    text = yaml.safe_dump(value, sort_keys=False, default_flow_style=False, width=1000, allow_unicode=True)
    return [" " * indent + line for line in text.rstrip("\n").splitlines()]


def render(scenarios: list[Scenario], header: str) -> str:
    """The whole promtool test file: one test group per scenario, every alert asserted in each."""
    alerting = rules()
    lines = [*header.rstrip("\n").splitlines(), "rule_files:", f"  - {RULES.name}", "evaluation_interval: 1m", "tests:"]
    for scenario in scenarios:
        found = [s for s in samples(scenario.exposition) if s.name not in LEFT_OUT]
        lines += ["", f"  # {scenario.name}: {scenario.command}", "  - interval: 1m", "    input_series:"]
        for sample in found:
            lines += [
                f"      - series: '{selector(sample)}'",
                f"        values: '{series_values(sample, scenario.checked_at)}'",
            ]
        lines.append("    alert_rule_test:")
        for rule in alerting:
            expected = []
            if rule["alert"] in scenario.firing:
                labels = _alert_labels(rule, _source_sample(rule, found))
                expected = [{"exp_labels": labels, "exp_annotations": _annotations(rule, labels)}]
            lines += [f"      - eval_time: {EVAL_TIME}", f"        alertname: {rule['alert']}"]
            lines += ["        exp_alerts: []"] if not expected else ["        exp_alerts:", *_block(expected, 10)]
    return "\n".join(lines) + "\n"
