"""toeprob's tests: one folder per package layer, whole-package checks at the top.

The folders are packages so that files of the same name in different layers do not clash; shared
test code is imported from ``tests`` (for example ``from tests.brute_force import BruteForceEngine``).
"""
