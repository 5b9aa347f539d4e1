"""Root test configuration. Simulation tests stay Django-free: they never ask for the database."""
