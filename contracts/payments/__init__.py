"""The payments module's contract: authorizing, capturing and voiding an order's payment."""
