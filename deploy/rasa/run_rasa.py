"""``rasa`` with ``--auth-token`` taken from ``TTHC_RASA_TOKEN`` (the Rasa image's entrypoint).

Rasa reads its HTTP API token only from the command line, and a container's command line is
visible to every process of the host (``ps``, /proc/<pid>/cmdline); its environment is not. So the
token is appended here, inside the process (the same trick as cli/stack.py). The Rasa image has no
application code: this file needs nothing but Rasa.
"""

import os
import sys

from rasa.__main__ import main

if __name__ == "__main__":
    token = os.environ.get("TTHC_RASA_TOKEN", "")
    if not token:
        sys.exit("TTHC_RASA_TOKEN is not set: Rasa's HTTP API would be open to anyone who reaches it.")
    # One argument: a random token may start with "-", which argparse would read as an option.
    sys.argv = ["rasa", *sys.argv[1:], f"--auth-token={token}"]
    sys.exit(main())
