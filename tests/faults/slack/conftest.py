"""The Slack adapter's fixtures (fake Web API, bolt app over HTTP) on the fault tests' database."""

from tests.adapters.slack.conftest import adapter, api, slack  # noqa: F401 (fixtures)
