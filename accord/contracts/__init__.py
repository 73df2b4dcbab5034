"""Stateful contracts deployed on the device: thin shells over ``accord.mechanisms``."""
