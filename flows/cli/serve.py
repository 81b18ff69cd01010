"""Serve the release deployment from this process (started by `clearance up`)."""

from __future__ import annotations

from flows.release import DEPLOYMENT_NAME, release


def main() -> None:
    release.serve(name=DEPLOYMENT_NAME, limit=4, print_starting_message=False)


if __name__ == "__main__":
    main()
