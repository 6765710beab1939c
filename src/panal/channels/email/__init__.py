"""E-mail: IMAP in (UID checkpoints, IDLE), SMTP replies with threading headers (README.md here)."""
