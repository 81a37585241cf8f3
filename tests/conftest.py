"""Shared fixtures. Each fake lives in tests/fakes/; its pytest fixtures are imported here so every test sees them."""
