"""Panal: a self-hosted Social CRM. See docs/ for users and operators."""

__version__ = "0.1.0"
