"""Fixtures for every test folder: the real PostgreSQL and Kafka of the test profile."""

pytest_plugins = ["cascade.devstack.pytest_plugin"]
