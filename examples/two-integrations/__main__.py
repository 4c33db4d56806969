"""Two Salesforce JWT integrations (orders and billing) in a program of one's own.

The component comes from the installed `salesforce-jwt-pulumi` distribution. Inputs that other
resources produce can be wired in as Outputs (here the tags and the billing integration's username);
everything else is a plain value checked before any resource is registered. Deployer credentials
come from the stack config (`salesforce-jwt:deployerAccessToken`, ...) or the environment, never from
these arguments.
"""

import pulumi

from components.integration import SalesforceJwtIntegration, SalesforceJwtIntegrationArgs

config = pulumi.Config()
shared = {
    "salesforce_login_url": config.require("salesforceLoginUrl"),
    "salesforce_ca_bundle": config.get("salesforceCaBundle"),
    "aws_region": config.require("awsRegion"),
    "aws_endpoint_url": config.get("awsEndpointUrl"),
    "contact_email": "platform@example.com",
    "certificate_validity_days": 30,
    "recovery_window_days": 7,
    "verification_budget_seconds": 120,
}
team = pulumi.Output.concat("platform-", pulumi.get_stack())  # any Output: another resource's, say

orders = SalesforceJwtIntegration(
    "orders",
    SalesforceJwtIntegrationArgs(
        app_name="Orders_Sync",
        integration_username=config.require("integrationUsername"),
        tags={"team": team},
        **shared,
    ),
)
billing = SalesforceJwtIntegration(
    "billing",
    SalesforceJwtIntegrationArgs(
        app_name="Billing_Sync",
        integration_username=pulumi.Output.from_input(config.require("integrationUsername")),
        rotation_strategy="blue-green",
        **shared,
    ),
)

for name, integration in (("orders", orders), ("billing", billing)):
    pulumi.export(f"{name}SecretArn", integration.secret_arn)
    pulumi.export(f"{name}ConsumerKey", integration.consumer_key)
    pulumi.export(f"{name}CertificateNotAfter", integration.certificate_not_after)
