"""The vectorised engine: customer and shop state as NumPy arrays, one day for all at once."""
