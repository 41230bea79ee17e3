"""`python -m cascade.approvals.hash_password`: an argon2 hash for CASCADE_ADMIN_PASSWORD_HASH.

The password is read without echo from a terminal, or from stdin when piped.
"""

from __future__ import annotations

import getpass
import sys

from cascade.approvals.passwords import hash_password

MIN_LENGTH = 12


def read_password() -> str:
    """The password, asked twice on a terminal, read as one line from a pipe."""
    if not sys.stdin.isatty():
        return sys.stdin.readline().rstrip("\r\n")
    first = getpass.getpass("Admin password: ")
    if getpass.getpass("Again: ") != first:
        raise SystemExit("the passwords differ")
    return first


def main() -> None:
    """Read, check the length, print the hash."""
    password = read_password()
    if len(password) < MIN_LENGTH:
        raise SystemExit(f"use at least {MIN_LENGTH} characters")
    print(hash_password(password))


if __name__ == "__main__":
    main()
