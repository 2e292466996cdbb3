"""Custom Rasa graph components. Only the Rasa runtime imports this package."""
