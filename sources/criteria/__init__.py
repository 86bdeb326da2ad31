"""The certification standard as data: practices, criteria, tiers and which signals count as evidence."""
