"""Unit tests of tests/claims/ga23/protocols."""
