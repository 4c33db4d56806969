"""`python -m components`: the operations CLI (check, verify, preview-summary).

The cyclic garbage collector waits while the CLI starts: imports and AWS's service models create many
long-lived objects that it would otherwise traverse again and again (a quarter of a `verify`'s CPU
time). Once the clients exist, the commands freeze what was loaded and turn it back on
(``components.cli.started``), so a long `check --all` still collects its garbage.
"""

import gc

gc.disable()

from components.cli import main  # noqa: E402

raise SystemExit(main())
