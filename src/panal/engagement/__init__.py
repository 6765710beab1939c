"""Engagement: routing, cases, SLA (issue 8)."""
