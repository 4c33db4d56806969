"""Shared fixtures: each stand-in server lives in its own plugin module under tests/fixtures."""

pytest_plugins = [
    "tests.fixtures.aws",
    "tests.fixtures.salesforce",
    "tests.fixtures.pulumi",
    "tests.fixtures.mocks",
]
