"""Response bodies of the simulated web, one module per source or platform, in the real formats."""
