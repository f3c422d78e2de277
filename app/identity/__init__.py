"""Identity: JWT access tokens (RS256), the JWKS, request authentication and the propagation of
the principal across events and remote calls."""
