"""Local Salesforce org emulator: OAuth JWT bearer, Metadata API (SOAP), REST and a control API (docs/emulator.md)."""
