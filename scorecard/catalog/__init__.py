"""metrics.yaml as a whole: loading each section, the validation rules (every issue with its line), editing a metric's fields and the saved versions."""
