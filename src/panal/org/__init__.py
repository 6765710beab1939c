"""Organisations, brands, teams, memberships and the roles (see docs/roles.md)."""
