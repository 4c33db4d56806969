"""Stack program: stack config -> Args (one integration, or one per `integrations` item) -> components -> exports."""

from components.integration import SalesforceJwtIntegration, export_all, from_stack_config

export_all([SalesforceJwtIntegration(name, args) for name, args in from_stack_config()])
