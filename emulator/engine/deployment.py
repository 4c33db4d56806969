"""Turns resource registrations into steps against the previous state: the engine's step generator.

One :class:`Deployment` per operation. ``register`` is called (serialized under a lock) for every
resource the program registers; ``finish`` runs the delete phase; ``refresh``/``destroy`` work from state
alone. Provider failures become :class:`DeploymentError` carrying the URN and the provider's message.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field, replace
from typing import Any, Callable, Protocol

from . import tls
from .dynamic_host import DiffOutcome, ProviderError
from .state import STACK_TYPE, ResourceState, Snapshot
from .steps import Step, changed_keys, detailed_diff
from .values import Props, annotate_secrets, same_value

DYNAMIC_PREFIX = "pulumi-python:dynamic"


class DeploymentError(Exception):
    """A step failed; the message names the resource and gives the provider's reason."""


class Provider(Protocol):
    """What the deployment needs from a provider (the dynamic host client or the TLS stand-in)."""

    def check(self, urn: str, type_: str, name: str, olds: Props, news: Props) -> tuple[Props, list[tuple[str, str]]]: ...
    def diff(self, urn: str, type_: str, id_: str, olds: Props, old_inputs: Props, news: Props) -> DiffOutcome: ...
    def create(self, urn: str, type_: str, name: str, inputs: Props) -> tuple[str, Props]: ...
    def update(self, urn: str, type_: str, id_: str, olds: Props, old_inputs: Props, news: Props) -> Props: ...
    def read(self, urn: str, type_: str, id_: str, outputs: Props, inputs: Props) -> tuple[str, Props, Props | None]: ...
    def delete(self, urn: str, type_: str, id_: str, outputs: Props, old_inputs: Props) -> None: ...


@dataclass
class Goal:
    """What the program asked for in one RegisterResource call."""

    type: str
    name: str
    custom: bool
    parent: str = ""
    inputs: Props = field(default_factory=dict)
    dependencies: list[str] = field(default_factory=list)
    protect: bool = False
    retain_on_delete: bool = False
    delete_before_replace: bool = False
    ignore_changes: list[str] = field(default_factory=list)
    replace_on_changes: list[str] = field(default_factory=list)
    additional_secret_outputs: list[str] = field(default_factory=list)
    replacement_trigger: Any = None


def delete_order(resources: list[ResourceState]) -> list[ResourceState]:
    """Dependents (children, resources depending on others) first; reverse registration order otherwise."""
    remaining, ordered = list(resources), []
    while remaining:
        needed = {d for r in remaining for d in (r.parent, *r.dependencies)}
        ready = [r for r in reversed(remaining) if r.urn not in needed] or [remaining[-1]]
        ordered += ready
        remaining = [r for r in remaining if all(r is not x for x in ready)]
    return ordered


class Deployment:
    """Step generation and execution for one engine operation."""

    def __init__(self, *, project: str, stack: str, old: Snapshot, dynamic: Provider, tls_provider: Provider,
                 dry_run: bool, log: Callable[[str], None] = lambda _m: None):
        self.project, self.stack, self.old, self.dry_run = project, stack, old, dry_run
        self._dynamic, self._tls, self._log = dynamic, tls_provider, log
        self._lock = threading.Lock()
        self._old_by_urn = old.by_urn()
        self.steps: list[Step] = []
        self.resources: list[ResourceState] = []
        self.errors: list[str] = []
        self.calls: list[tuple[str, str]] = []
        self._replaced: list[ResourceState] = []
        self._gone: set[int] = set()

    # -- naming --------------------------------------------------------------------------------
    def make_urn(self, parent: str, type_: str, name: str) -> str:
        """URN with the parent's type chain, as the engine builds it."""
        qualified = type_
        if parent and parent.split("::")[2] != STACK_TYPE:
            qualified = parent.split("::")[2] + "$" + type_
        return f"urn:pulumi:{self.stack}::{self.project}::{qualified}::{name}"

    def provider_ref(self, type_: str) -> str:
        """The default provider reference the real engine would show."""
        package = "tls::default_5_6_2" if type_.startswith("tls:") else "pulumi-python::default"
        return f"urn:pulumi:{self.stack}::{self.project}::pulumi:providers:{package}"

    def _provider(self, type_: str, urn: str) -> Provider:
        if type_.startswith(DYNAMIC_PREFIX):
            return self._dynamic
        if type_ in tls.TYPES:
            return self._tls
        raise DeploymentError(f"{urn}: the offline engine has no provider for type {type_!r} "
                              f"(supported: dynamic providers and {', '.join(tls.TYPES)})")

    def _call(self, provider: Provider, method: str, urn: str, *args):
        self.calls.append((method, urn))
        try:
            return getattr(provider, method.lower())(urn, *args)
        except ProviderError as error:
            raise DeploymentError(f"{urn}: {method} failed: {error}") from None

    def _secret_keys(self, type_: str, goal_keys: list[str]) -> list[str]:
        return list(goal_keys) + (list(tls.SECRET_OUTPUTS) if type_ in tls.TYPES else [])

    # -- registration ----------------------------------------------------------------------------
    def register(self, goal: Goal) -> ResourceState:
        """Plan and (unless dry run) apply the step for one registration; returns the new state."""
        with self._lock:
            try:
                self._refuse_duplicate(goal)
                state = self._register_custom(goal) if goal.custom else self._register_component(goal)
            except DeploymentError as error:
                self.errors.append(str(error))
                raise
            self.resources.append(state)
            return state

    def _refuse_duplicate(self, goal: Goal) -> None:
        urn = self.make_urn(goal.parent, goal.type, goal.name)
        if any(r.urn == urn for r in self.resources):
            raise DeploymentError(f"{urn}: duplicate resource URN; give each resource a unique name")

    def register_outputs(self, urn: str, outputs: Props) -> None:
        """Record a component's (or the stack's) registered outputs."""
        with self._lock:
            for state in self.resources:
                if state.urn == urn:
                    state.outputs = dict(outputs)

    def _base_state(self, goal: Goal, urn: str) -> ResourceState:
        return ResourceState(
            urn=urn, type=goal.type, custom=goal.custom, parent=goal.parent,
            dependencies=list(goal.dependencies), protect=goal.protect, retain_on_delete=goal.retain_on_delete,
            delete_before_replace=goal.delete_before_replace,
            additional_secret_outputs=list(goal.additional_secret_outputs),
            provider=self.provider_ref(goal.type) if goal.custom else "",
            replacement_trigger=goal.replacement_trigger)

    def _register_component(self, goal: Goal) -> ResourceState:
        urn = self.make_urn(goal.parent, goal.type, goal.name)
        old = self._old_by_urn.get(urn)
        new = self._base_state(goal, urn)
        new.inputs = dict(goal.inputs)
        new.outputs = dict(old.outputs) if old else {}
        self.steps.append(Step("same" if old else "create", urn, goal.type, old, new))
        return new

    def _register_custom(self, goal: Goal) -> ResourceState:
        urn = self.make_urn(goal.parent, goal.type, goal.name)
        provider = self._provider(goal.type, urn)
        old = self._old_by_urn.get(urn)
        news = self._apply_ignore_changes(goal, old)
        checked, failures = self._call(provider, "Check", urn, goal.type, goal.name, old.inputs if old else {}, news)
        if failures:
            reasons = "; ".join(f"{prop or 'resource'}: {reason}" for prop, reason in failures)
            raise DeploymentError(f"{urn}: invalid inputs: {reasons}")
        new = self._base_state(goal, urn)
        new.inputs = annotate_secrets(checked, news)
        if old is None:
            return self._create(provider, new, "create")
        return self._update_or_replace(provider, goal, old, new)

    def _apply_ignore_changes(self, goal: Goal, old: ResourceState | None) -> Props:
        news = dict(goal.inputs)
        for path in goal.ignore_changes if old else []:
            key = path.split(".")[0].split("[")[0]
            if key in old.inputs:
                news[key] = old.inputs[key]
            else:
                news.pop(key, None)
        return news

    def _outputs(self, new: ResourceState, outputs: Props) -> Props:
        return annotate_secrets(outputs, new.inputs, self._secret_keys(new.type, new.additional_secret_outputs))

    def _create(self, provider: Provider, new: ResourceState, op: str, step: Step | None = None) -> ResourceState:
        if self.dry_run:
            new.id, new.outputs = "", dict(new.inputs)
        else:
            new.id, outputs = self._call(provider, "Create", new.urn, new.type, new.name, new.inputs)
            new.outputs = self._outputs(new, outputs)
        self.steps.append(step or Step(op, new.urn, new.type, None, new))
        return new

    def _plan_diff(self, provider: Provider, goal: Goal, old: ResourceState, new: ResourceState):
        outcome = self._call(provider, "Diff", new.urn, new.type, old.id, old.outputs, old.inputs, new.inputs)
        input_changes = changed_keys(old.inputs, new.inputs)
        if outcome.changes == "unknown":
            outcome.changes = "some" if input_changes else "none"
        replaces = list(outcome.replaces)
        if None not in (old.replacement_trigger, goal.replacement_trigger) and old.replacement_trigger != goal.replacement_trigger:
            replaces.append("replacementTrigger")  # the `replacement_trigger` option changed
        if outcome.changes == "some" or replaces:
            triggers = set(goal.replace_on_changes)
            replaces += [k for k in input_changes if ("*" in triggers or k in triggers) and k not in replaces]
        if outcome.changes == "none" and not replaces:
            return outcome, [], []
        reasons = input_changes or [k for k in new.inputs if not same_value(old.outputs.get(k), new.inputs[k])]
        return outcome, replaces, reasons + [k for k in replaces if k not in reasons]

    def _update_or_replace(self, provider: Provider, goal: Goal, old: ResourceState, new: ResourceState) -> ResourceState:
        outcome, replaces, reasons = self._plan_diff(provider, goal, old, new)
        details = detailed_diff(old.inputs, new.inputs, [k for k in reasons if k in old.inputs or k in new.inputs], replaces)
        if outcome.changes == "none" and not replaces:
            new.id, new.outputs = old.id, dict(old.outputs)
            self.steps.append(Step("same", new.urn, new.type, old, new))
            return new
        if replaces:
            return self._replace(provider, goal, old, new, outcome, replaces, reasons, details)
        new.id = old.id
        if self.dry_run and provider is self._dynamic:
            new.outputs = dict(new.inputs)
        else:
            outputs = self._call(provider, "Update", new.urn, new.type, old.id, old.outputs, old.inputs, new.inputs)
            new.outputs = self._outputs(new, outputs)
        self.steps.append(Step("update", new.urn, new.type, old, new, reasons, [], details))
        return new

    def _replace(self, provider: Provider, goal: Goal, old: ResourceState, new: ResourceState, outcome: DiffOutcome,
                 replaces: list[str], reasons: list[str], details: dict) -> ResourceState:
        if old.protect and goal.protect:
            raise DeploymentError(
                f"{new.urn}: unable to replace resource as it is marked protected (changes: {', '.join(replaces)}); "
                "remove the `protect` option from the resource in the program to allow the replacement")
        delete_first = goal.delete_before_replace or outcome.delete_before_replace
        make = lambda op: Step(op, new.urn, new.type, old if op != "create-replacement" else None,  # noqa: E731
                               new if op != "delete-replaced" else None, reasons, replaces, details)
        if delete_first:
            self._delete(old, "delete-replaced", step=make("delete-replaced"))
            self.steps.append(make("replace"))
            return self._create(provider, new, "create-replacement", step=make("create-replacement"))
        self._create(provider, new, "create-replacement", step=make("create-replacement"))
        self.steps.append(make("replace"))
        if self.dry_run:
            self.steps.append(make("delete-replaced"))
        else:
            self._replaced.append(old)
        return new

    # -- deletes -------------------------------------------------------------------------------
    def _delete(self, old: ResourceState, op: str, step: Step | None = None) -> None:
        if old.custom and not self.dry_run and not old.retain_on_delete:
            self._call(self._provider(old.type, old.urn), "Delete", old.urn, old.type, old.id, old.outputs, old.inputs)
        if old.retain_on_delete and old.custom:
            self._log(f"retained {old.urn} (retain_on_delete): removed from state, not deleted")
        self._gone.add(id(old))
        self.steps.append(step or Step(op, old.urn, old.type, old, None))

    def _refuse_protected(self, resources: list[ResourceState], action: str) -> None:
        protected = [r.urn for r in resources if r.protect and not r.pending_delete]
        if protected:
            raise DeploymentError(
                f"cannot {action} protected resource(s): {', '.join(protected)}; remove the `protect` option in the "
                "program and run `up` first")

    def finish(self) -> None:
        """Delete phase after the program: replaced resources, then resources no longer registered."""
        with self._lock:
            registered = {r.urn for r in self.resources}
            removed = [r for r in self.old.live() if r.urn not in registered]
            leftovers = [r for r in self.old.resources if r.pending_delete]
            try:
                self._refuse_protected(removed, "delete")
                for old in reversed(self._replaced + leftovers):
                    self._delete(old, "delete-replaced")
                for old in delete_order(removed):
                    self._delete(old, "delete")
            except DeploymentError as error:
                self.errors.append(str(error))
                raise

    def destroy(self) -> None:
        """Delete everything in state, dependents first; refuses up front if anything is protected."""
        with self._lock:
            try:
                self._refuse_protected(self.old.resources, "destroy")
                for old in delete_order(list(self.old.resources)):
                    self._delete(old, "delete")
            except DeploymentError as error:
                self.errors.append(str(error))
                raise

    # -- refresh -------------------------------------------------------------------------------
    def refresh(self) -> None:
        """Read every custom resource back from its provider; record drift as update/delete steps."""
        with self._lock:
            for old in self.old.resources:
                if old.pending_delete or not old.custom:
                    self.resources.append(old)
                    if not old.pending_delete:
                        self.steps.append(Step("same", old.urn, old.type, old, old))
                    continue
                try:
                    self._refresh_one(old)
                except DeploymentError as error:
                    self.errors.append(str(error))
                    raise

    def _refresh_one(self, old: ResourceState) -> None:
        provider = self._provider(old.type, old.urn)
        id_, outputs, inputs = self._call(provider, "Read", old.urn, old.type, old.id, old.outputs, old.inputs)
        if not id_:
            self._gone.add(id(old))
            self.steps.append(Step("delete", old.urn, old.type, old, None))
            return
        secret_keys = self._secret_keys(old.type, old.additional_secret_outputs)
        new = replace(old, id=id_, outputs=annotate_secrets(outputs, {**old.inputs, **old.outputs}, secret_keys),
                      inputs=annotate_secrets(inputs, old.inputs) if inputs is not None else old.inputs)
        drift = changed_keys(old.outputs, new.outputs)
        input_drift = changed_keys(old.inputs, new.inputs)
        self.resources.append(new)
        if drift or input_drift:
            keys = sorted(set(drift) | set(input_drift))
            details = detailed_diff(old.outputs, new.outputs, keys, [])
            self.steps.append(Step("update", old.urn, old.type, old, new, keys, [], details))
        else:
            self.steps.append(Step("same", old.urn, old.type, old, new))

    # -- result ----------------------------------------------------------------------------------
    def snapshot(self) -> Snapshot:
        """State to save: registered resources, then anything that still exists (not yet deleted)."""
        registered = {r.urn for r in self.resources}
        kept = [r for r in self.old.live() if r.urn not in registered and id(r) not in self._gone]
        pending = [replace(r, pending_delete=True) for r in self._replaced + [x for x in self.old.resources if x.pending_delete]
                   if id(r) not in self._gone]
        return Snapshot([r for r in self.resources if id(r) not in self._gone] + kept + pending)
