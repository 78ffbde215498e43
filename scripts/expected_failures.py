#!/usr/bin/env python3
"""expected_failures.py EXPECTED OUTPUT: check a suite's FAIL lines against a list of known ones.

EXPECTED lists one failing assertion per line ("Item / assertion"), each under a comment that
says which decision makes it fail; OUTPUT is a suite's output, whose failures are lines
"FAIL Item / assertion: detail". Exit 0 when the suite ran (a "N passed, M failed" line) and
failed exactly the listed assertions: a new failure fails, and so does a listed one that now
passes (so the list stays true).
"""
import re
import sys


def main():
    expected_path, output_path = sys.argv[1], sys.argv[2]
    expected = set()
    for line in open(expected_path, encoding="utf-8"):
        line = line.strip()
        if line and not line.startswith("#"):
            expected.add(line)
    output = open(output_path, encoding="utf-8").read()
    if not re.search(r"^\d+ passed, \d+ failed$", output, re.M):
        print("expected_failures: the suite did not finish", file=sys.stderr)
        return 1
    actual = set()
    for line in output.splitlines():
        if line.startswith("FAIL "):
            actual.add(line[5:].split(": ", 1)[0].strip())
    status = 0
    for failure in sorted(actual - expected):
        print(f"unexpected failure: {failure}", file=sys.stderr)
        status = 1
    for fixed in sorted(expected - actual):
        print(f"listed as failing but passed (remove it from {expected_path}): {fixed}", file=sys.stderr)
        status = 1
    print(f"{len(actual & expected)} known failure(s), {len(actual - expected)} unexpected")
    return status


if __name__ == "__main__":
    sys.exit(main())
