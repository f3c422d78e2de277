"""Contracts over HTTP: a generic client and a generic internal router, both derived from the
contract's Protocol and its types, so no contract needs hand-written wire code."""
