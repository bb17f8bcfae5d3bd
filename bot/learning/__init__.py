"""Learning from people's corrections of the evaluator ("Not right?")."""
