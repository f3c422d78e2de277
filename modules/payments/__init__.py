"""Payments: authorizes, captures and voids each order's payment at the payment provider."""
