"""The Slack adapter: a bolt AsyncApp (HTTP or Socket Mode) that feeds the core and renders its
messages as Block Kit."""
