"""How this project obtains and drives the real Pulumi CLI (build from Go modules, offline runs)."""
