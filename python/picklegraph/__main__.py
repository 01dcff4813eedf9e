"""The ``picklegraph`` command: the same code as the Rust binary, run in this process."""

import os
import sys


def main() -> None:
    """Runs the command on ``sys.argv`` and exits with its status."""
    sys.stdout.flush()
    sys.exit(_run(["picklegraph", *sys.argv[1:]]))


def _run(argv: "list[str]") -> int:
    from . import _native

    return _native.cli_main([os.fsdecode(arg) for arg in argv])


if __name__ == "__main__":
    main()
