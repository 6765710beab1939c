"""What Facebook Pages, Instagram and WhatsApp share: Meta's webhook and Graph API rules.

Not a network itself (no `connector.py`): `facebook/`, `instagram/` and `whatsapp/`
build on it.
"""
