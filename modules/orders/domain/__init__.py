"""Pure order rules, no Django: an order's status and total (``order``), and the saga that
carries an order through stock, payment and confirmation (``saga``)."""
