"""Tests of providerhub.testing, the contract kit."""
