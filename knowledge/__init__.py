"""The knowledge store: procedures, the administrative map, service centres, dossiers."""
