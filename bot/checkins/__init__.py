"""The check-in lifecycle: scheduled -> asked -> reminded -> answered / expired."""
