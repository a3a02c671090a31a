"""Post-run analysis of simulated customers: survival (platform retention) estimates."""
