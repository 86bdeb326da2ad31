"""Website evidence: fetch a city's own pages and documents and extract explainable evidence of data practices."""
