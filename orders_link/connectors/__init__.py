"""Translate what shops and carriers send into the provider-neutral records of
``orders_link.connectors.neutral``. Connectors verify and parse; they never touch the database."""
