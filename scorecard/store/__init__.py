"""Storage: the model's tables, databases (DuckDB, SQLite, PostgreSQL), where things are (config), notes, safe cells, files written whole and locks."""
