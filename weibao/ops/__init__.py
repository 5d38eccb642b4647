"""Operations: backup and restore of a deployment's database and index."""
