"""Step generation with an in-process fake provider: resource options and ordering rules."""

import pytest

from emulator.engine.deployment import Deployment, DeploymentError, Goal, delete_order
from emulator.engine.dynamic_host import DiffOutcome, ProviderError
from emulator.engine.state import ResourceState, Snapshot
from emulator.engine.tls import TlsProvider
from emulator.engine.values import is_secret, secret

TYPE = "pulumi-python:dynamic/test:Thing"
STACK = "urn:pulumi:s::p::pulumi:pulumi:Stack::p-s"


class FakeProvider:
    """Records calls; ``name`` changes replace, anything else updates; can be told to fail."""

    def __init__(self, fail: str = "", dbr: bool = False):
        self.log: list[tuple[str, str]] = []
        self.fail, self.dbr = fail, dbr

    def _record(self, method, urn):
        self.log.append((method, urn.rsplit("::", 1)[-1]))
        if method == self.fail:
            raise ProviderError(f"ValueError: {method} refused")

    def check(self, urn, type_, name, olds, news):
        return dict(news), []

    def diff(self, urn, type_, id_, olds, old_inputs, news):
        changed = [k for k in set(old_inputs) | set(news) if old_inputs.get(k) != news.get(k)]
        return DiffOutcome("some" if changed else "none", [k for k in changed if k == "name"], self.dbr)

    def create(self, urn, type_, name, inputs):
        self._record("Create", urn)
        return f"id-{name}-{len(self.log)}", {**inputs, "computed": "c", "receipt": "r"}

    def update(self, urn, type_, id_, olds, old_inputs, news):
        self._record("Update", urn)
        return {**news, "computed": "c2", "receipt": "r2"}

    def read(self, urn, type_, id_, outputs, inputs):
        return id_, outputs, None

    def delete(self, urn, type_, id_, outputs, old_inputs):
        self._record("Delete", urn)


def run(old: Snapshot, goals: list[Goal], provider=None, dry_run=False, finish=True) -> tuple[Deployment, FakeProvider]:
    provider = provider or FakeProvider()
    deployment = Deployment(project="p", stack="s", old=old, dynamic=provider, tls_provider=TlsProvider(lambda: None),
                            dry_run=dry_run)
    deployment.register(Goal("pulumi:pulumi:Stack", "p-s", custom=False))
    for goal in goals:
        deployment.register(goal)
    if finish:
        deployment.finish()
    return deployment, provider


def thing(name="a", parent=STACK, **options) -> Goal:
    inputs = options.pop("inputs", {"name": name, "value": "1"})
    return Goal(TYPE, name, custom=True, parent=parent, inputs=inputs, **options)


def test_urns_carry_the_parent_type_chain():
    deployment, _ = run(Snapshot(), [Goal("my:index:Comp", "c", custom=False, parent=STACK)])
    comp = deployment.resources[1].urn
    assert comp == "urn:pulumi:s::p::my:index:Comp::c"
    assert deployment.make_urn(comp, TYPE, "x") == f"urn:pulumi:s::p::my:index:Comp${TYPE}::x"


def test_dry_run_calls_nothing_that_writes():
    deployment, provider = run(Snapshot(), [thing()], dry_run=True)
    assert provider.log == [] and deployment.steps[-1].op == "create"
    assert deployment.resources[-1].outputs == {"name": "a", "value": "1"}


def test_additional_secret_outputs_and_secret_inputs():
    goal = thing(inputs={"name": "a", "token": secret("t")}, additional_secret_outputs=["receipt"])
    deployment, _ = run(Snapshot(), [goal])
    outputs = deployment.resources[-1].outputs
    assert is_secret(outputs["token"]) and is_secret(outputs["receipt"]) and not is_secret(outputs["computed"])


def test_ignore_changes_keeps_the_old_value():
    first, _ = run(Snapshot(), [thing()])
    changed = thing(inputs={"name": "a", "value": "2"}, ignore_changes=["value"])
    second, provider = run(first.snapshot(), [changed])
    assert second.steps[-1].op == "same" and provider.log == []
    assert second.resources[-1].inputs["value"] == "1"


def test_replace_on_changes_turns_an_update_into_a_replace():
    first, _ = run(Snapshot(), [thing()])
    second, provider = run(first.snapshot(), [thing(inputs={"name": "a", "value": "2"}, replace_on_changes=["value"])])
    assert [s.op for s in second.steps[1:]] == ["create-replacement", "replace", "delete-replaced"]
    assert provider.log == [("Create", "a"), ("Delete", "a")]


@pytest.mark.parametrize("option, provider_dbr", [(True, False), (False, True)])
def test_delete_before_replace_deletes_first(option, provider_dbr):
    first, _ = run(Snapshot(), [thing()])
    goal = thing(inputs={"name": "b", "value": "1"}, delete_before_replace=option)
    second, provider = run(first.snapshot(), [goal], provider=FakeProvider(dbr=provider_dbr))
    assert provider.log == [("Delete", "a"), ("Create", "a")]
    assert [s.op for s in second.steps[1:]] == ["delete-replaced", "replace", "create-replacement"]


def test_retain_on_delete_drops_from_state_only():
    first, _ = run(Snapshot(), [thing(retain_on_delete=True)])
    second, provider = run(first.snapshot(), [])
    assert provider.log == [] and second.steps[-1].op == "delete"
    assert [r.name for r in second.snapshot().resources] == ["p-s"]


def test_protected_resource_removed_from_program_is_refused_before_any_delete():
    first, _ = run(Snapshot(), [thing("a", protect=True), thing("b")])
    with pytest.raises(DeploymentError, match="protected"):
        run(first.snapshot(), [])
    deployment, provider = run(first.snapshot(), [], finish=False)
    with pytest.raises(DeploymentError):
        deployment.finish()
    assert provider.log == []
    assert {r.name for r in deployment.snapshot().resources} == {"p-s", "a", "b"}


def test_failed_delete_keeps_the_replaced_resource_pending_delete():
    first, _ = run(Snapshot(), [thing()])
    provider = FakeProvider(fail="Delete")
    deployment, _ = run(first.snapshot(), [thing(inputs={"name": "b", "value": "1"})], provider=provider, finish=False)
    with pytest.raises(DeploymentError, match="Delete failed: ValueError: Delete refused"):
        deployment.finish()
    states = deployment.snapshot().resources
    assert [(r.name, r.pending_delete) for r in states if r.name == "a"] == [("a", False), ("a", True)]
    retry, provider = run(Snapshot(states), [thing(inputs={"name": "b", "value": "1"})])
    assert provider.log == [("Delete", "a")] and not any(r.pending_delete for r in retry.snapshot().resources)


def test_delete_order_puts_dependents_first():
    def state(name, parent="", deps=()):
        return ResourceState(f"urn:x::{name}", TYPE, True, parent=f"urn:x::{parent}" if parent else "",
                             dependencies=[f"urn:x::{d}" for d in deps])
    resources = [state("stack"), state("comp", "stack"), state("key", "comp"), state("cert", "comp", ["key"]),
                 state("record", "comp", ["cert"]), state("other", "stack")]
    order = [r.name for r in delete_order(resources)]
    assert order.index("record") < order.index("cert") < order.index("key") < order.index("comp") < order.index("stack")
    assert order.index("other") < order.index("stack")


def test_duplicate_urn_is_refused():
    with pytest.raises(DeploymentError, match="duplicate resource URN"):
        run(Snapshot(), [thing(), thing()])
