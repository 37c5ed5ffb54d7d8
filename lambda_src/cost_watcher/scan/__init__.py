"""AWS reads: clients, inventory, metrics, prices, the second opinion."""
