"""Experiment tracking: runs, metrics, artifacts, and the logger that feeds them."""
