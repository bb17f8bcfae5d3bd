"""The Teams adapter's fixtures (local Bot Connector, CloudAdapter over HTTP) on the fault tests'
database."""

from tests.adapters.teams.conftest import adapter, connector, sleeps, teams  # noqa: F401 (fixtures)
