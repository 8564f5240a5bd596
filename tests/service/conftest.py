from wfsupport import clock, db_url, env  # noqa: F401 - fixtures
