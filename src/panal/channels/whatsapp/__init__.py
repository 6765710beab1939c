"""WhatsApp Cloud API: Meta webhooks in, `/{phone_number_id}/messages` out (README.md here)."""
