"""Developer tools that are not part of the bot (mutation testing)."""
