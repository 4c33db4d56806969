"""Salesforce JWT bearer integration, provisioned with Pulumi.

Core modules (settings, keys, credentials, salesforce/*) never import ``pulumi``;
only ``integration`` and ``providers`` do.
"""
