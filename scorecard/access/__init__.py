"""Who may see and do what: roles and region scope as pure functions (the engine applies the filters), and saving the access file."""
