"""CDK code of the GenAI/ML platform: config, stacks, constructs and cross-cutting rules."""
