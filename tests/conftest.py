"""Shared pytest configuration: the claims-audit plugin for every run under tests/."""

pytest_plugins = ["verify.plugin"]
