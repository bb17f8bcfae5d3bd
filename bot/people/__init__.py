"""People the bot knows: the team directory, how to reach them, their home page, and forgetting them."""
