"""What the assistant knows: the procedure catalogue, the administrative map (current and former units),
service centres, the catalogue importer and the reviewed seed data."""
