"""The command line (`scorecard ...`): one module per command group, thin over the core."""
