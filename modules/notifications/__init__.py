"""Notifications: emails the customer about their orders and records every message sent."""
