"""The span reader: question + passages -> answer spans with a calibrated no-answer margin."""
