"""Open data portal catalogs: parse each platform's real API format into one record shape, then profile."""
