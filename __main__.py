"""Stack program: stack config -> Settings -> SalesforceJwtIntegration -> stack outputs."""

import pulumi

from components.integration import SalesforceJwtIntegration, stack_config

integration = SalesforceJwtIntegration(
    "salesforce-jwt",
    settings=stack_config(),
)
integration.export_outputs()
