"""The console adapter: talk to the bot in a terminal, as any member, with no platform account."""
