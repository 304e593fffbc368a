"""relmark.plot."""
