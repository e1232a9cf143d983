"""The rush over HTTP: the real server, real clients, checked with SQL."""
