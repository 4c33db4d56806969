"""Regenerate the configuration reference: ``python -m components.settings docs/configuration.md``."""

import sys

from components.settings.reference import main

main(sys.argv[1:])
