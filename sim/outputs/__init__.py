"""Writing run outputs: atomic files, Parquet tables, retention tables and plots."""
