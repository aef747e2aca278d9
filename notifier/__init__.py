"""Notifications to citizens through a gateway (WhatsApp webhook, SMTP, log): outbox worker, drivers, opt-in/out pages."""
