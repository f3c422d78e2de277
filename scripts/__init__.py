"""Entry scripts run from the project root (``python scripts/<name>.py``); see DESIGN.md section 2."""
