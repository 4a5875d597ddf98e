"""Running compiled statements against a database and returning small, finished frames (merged scans, derived metrics, remembered results)."""
