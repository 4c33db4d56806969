"""Secret marking helpers: the engine's annotateSecrets and masking."""

from hypothesis import given, strategies as st

from emulator.engine.values import MASK, annotate_secrets, contains_secret, mask, reveal, secret

json_values = st.recursive(st.none() | st.booleans() | st.integers() | st.text(max_size=8),
                           lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner, max_size=3),
                           max_leaves=8)


@given(json_values, st.text(min_size=12, max_size=20, alphabet="abcdef0123456789"))
def test_mask_never_shows_a_secret_and_reveal_restores(value, hidden):
    wrapped = {"plain": value, "hidden": secret(hidden), "nested": [secret({"deep": hidden})]}
    assert hidden not in repr(mask(wrapped))
    assert mask(wrapped)["hidden"] == MASK and mask(wrapped)["plain"] == mask(value)
    assert reveal(wrapped) == {"plain": reveal(value), "hidden": hidden, "nested": [{"deep": hidden}]}
    assert not contains_secret(reveal(wrapped))


def test_annotate_secrets_follows_inputs_and_extra_keys():
    inputs = {"token": secret("t"), "name": "n", "nested": {"inner": secret("x")}}
    outputs = {"token": "t", "name": "n", "nested": {"inner": "x"}, "receipt": "r", "computed": "c"}
    marked = annotate_secrets(outputs, inputs, ["receipt"])
    assert marked["token"] == secret("t") and marked["nested"] == secret({"inner": "x"})
    assert marked["receipt"] == secret("r")
    assert marked["name"] == "n" and marked["computed"] == "c"
