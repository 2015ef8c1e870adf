# SPDX-License-Identifier: BSD-3-Clause
"""Runs the end-to-end tests and ends with 'N passed, N failed'."""

import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))


def main():
    loader = unittest.TestLoader()
    pattern = sys.argv[1] if len(sys.argv) > 1 else "test_*.py"
    suite = loader.discover(os.path.dirname(os.path.abspath(__file__)), pattern=pattern)
    if len(sys.argv) > 2:
        suite = loader.loadTestsFromNames(sys.argv[2:])
    result = unittest.TextTestRunner(verbosity=2).run(suite)
    # a test that fails in both its body and its tearDown counts once
    failed = len({str(t) for t, _ in result.failures + result.errors})
    passed = max(0, result.testsRun - failed - len(result.skipped))
    print("e2e: %d passed, %d failed" % (passed, failed))
    return 1 if failed or result.testsRun == 0 else 0


if __name__ == "__main__":
    sys.exit(main())
