"""One module per stack. Each reads top-down as what it provisions and why."""
