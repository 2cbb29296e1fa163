"""Built-in role packs (YAML). Shipped as package data."""
