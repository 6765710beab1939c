"""Builders of organisations, people, accounts and mentions: the demo, the tests and the
benchmarks all use these (docs/demo.md)."""
