"""Secrets Manager's staging labels and the tag that marks the secrets this product manages (no I/O)."""

AWSCURRENT, AWSPENDING, AWSPREVIOUS = "AWSCURRENT", "AWSPENDING", "AWSPREVIOUS"
MANAGED_BY_KEY, MANAGED_BY_VALUE = "managed-by", "salesforce-jwt-pulumi"
