"""Reproducible speed and memory measurements (ratios measured in one run)."""
