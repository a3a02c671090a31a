"""Reports on sweeps: retention curves, effects against the reference variant, figures."""
