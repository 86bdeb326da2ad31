"""The readiness index: signals per city, criterion probabilities, exact tier odds, gaps."""
