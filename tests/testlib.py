# SPDX-License-Identifier: BSD-3-Clause
"""The one assertion helper of the Python tests (tests/check.h is the C one).

check() states one thing the test checks and goes on: a line "ok   what" or
"FAIL what" (with quiet, only the FAIL lines), FAILURES keeps what failed and
main ends with `return exit_status()` after its summary line. expect() and
wait_until() raise Failure instead, for a step the rest of the test needs.

A test in a folder under tests/ imports it after
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
"""
import time

FAILURES = []


class Failure(AssertionError):
    """A statement of the test that does not hold."""


def check(cond, what, quiet=False):
    """One result line, ok or FAIL; the failures are kept in FAILURES."""
    if not cond or not quiet:
        print(("ok   " if cond else "FAIL ") + what, flush=True)
    if not cond:
        FAILURES.append(what)
    return bool(cond)


def exit_status():
    """main's exit status: 1 if any check() failed."""
    return 1 if FAILURES else 0


def expect(cond, what):
    if not cond:
        raise Failure(what)


def wait_until(cond, seconds, what, step=0.05):
    """cond()'s first true value within seconds, or a Failure saying what."""
    deadline = time.monotonic() + seconds
    while True:
        v = cond()
        if v:
            return v
        if time.monotonic() > deadline:
            raise Failure(f"not within {seconds} s: {what}")
        time.sleep(step)
