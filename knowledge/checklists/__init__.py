"""Personal checklists: the questions that decide which of a procedure's documents a citizen's own
case needs, the list built from their answers, and saved lists behind a stable printable link."""
