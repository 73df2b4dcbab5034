"""Games: scenarios as code (who plays, on which contracts, what is measured)."""
