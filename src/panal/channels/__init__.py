"""Channel accounts and the ways mentions come in (docs/channels.md)."""
