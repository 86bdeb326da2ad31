-- Layers: raw (as parsed from sources), staging (cleaned, joined), marts (the stable interface for
-- analysts), ops (runs, fetch log, quarantine, failures).
CREATE SCHEMA IF NOT EXISTS raw;
CREATE SCHEMA IF NOT EXISTS staging;
CREATE SCHEMA IF NOT EXISTS marts;
CREATE SCHEMA IF NOT EXISTS ops;
