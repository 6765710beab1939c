"""The generic signed webhook channel (docs/channels.md; README.md in this folder)."""
