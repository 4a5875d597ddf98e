"""The metric language of metrics.yaml: frozen definitions, YAML read with its lines, expressions, time anchors, periods, and the words and number formats every surface uses."""
