"""From definitions to SQL: the model's graph, name resolution, the compiler (one statement per metric, merged scans), dialect differences and SQL laid out for people."""
