"""What the tests share: real servers and clients, databases, prerequisites, samples. Fixtures stay
in the conftest.py files; no test module imports another (tests/test_suite_rules.py checks it)."""
