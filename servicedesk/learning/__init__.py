"""The learning loop: an inbox of messages the assistant did not understand, decisions that turn
them into training examples or procedure aliases, and the guarded retrain of the Rasa model."""
