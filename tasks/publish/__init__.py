"""From an approved candidate to a release: assembly, description, sealing, publishing, pushing."""
