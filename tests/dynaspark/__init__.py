"""Tests of the Dynaspark plugin against a local stand-in server."""
