"""Peripheral models; importing this package registers every model."""
