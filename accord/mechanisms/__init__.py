"""Pure mechanism math: no state, no device. Importable and testable alone."""
