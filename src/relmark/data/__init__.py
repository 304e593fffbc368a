"""relmark.data."""
