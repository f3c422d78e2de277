"""The event bus: envelopes, subscriptions, publishing and delivery."""
