"""Reads of the reports: filters, figures (each one SQL aggregate), CSV rows."""
