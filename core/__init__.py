"""What every layer shares: the settings, the database engine and sessions, pagination, the keyed
hashes that keep personal identifiers out of the store. Imports nothing of the product."""
