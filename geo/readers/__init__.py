"""Readers: planners' files to WGS84 frames (point tables, vector layers, census
tables, text encodings, Gauss-Krüger coordinates, facility types)."""
