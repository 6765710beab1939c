"""Local fake servers that speak each network's real wire format (docs/channels.md)."""
