"""pytest plugin entry point (fixtures arrive with the pytest plugin issue)."""
