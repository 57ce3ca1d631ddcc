"""``python -m support_tickets.simulator --model-name NAME [flags]``: see ``--help`` and the README.

Prints one JSON line ``{"event": "ready", "url": …, "port": …}`` when it
serves; stops on SIGTERM or SIGINT, writing the logs it still buffers.
Exit status 2: bad configuration; 3: the model or its alias is missing, or S3
is unusable (the message says what to do).
"""

from __future__ import annotations

import signal
import sys

from ..registry import AliasNotFoundError
from ..storage import StorageError
from .app import App
from .config import parse_config


def main(argv: list[str] | None = None) -> int:
    config = parse_config(argv)
    app = App(config)
    # Handlers first: a SIGTERM during the model load still stops cleanly.
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: app.stopping.set())
    try:
        app.start()
    except (AliasNotFoundError, StorageError) as error:
        print(f"support-tickets simulator: {error}", file=sys.stderr, flush=True)
        if app.log is not None:
            app.log.close()
        return 3
    if config.exit_with_parent:
        app.watch_parent()
    # The main thread only waits: signals are delivered to it.
    while not app.stopping.wait(0.5):
        pass
    app.stop()
    print('{"event": "stopped"}', flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
