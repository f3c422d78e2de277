"""The notifications module's contract: what was sent to whom."""
