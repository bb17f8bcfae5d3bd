"""Manager digests: a team's real (de facto) strategy at a glance - figures, actions, a chart."""
