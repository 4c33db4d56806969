"""`python -m components`: the operations CLI (check, verify, preview-summary)."""

from components.cli import main

raise SystemExit(main())
