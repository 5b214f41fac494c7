"""Coverage: demand points and population, township areas, standards, travel-time
bands and surfaces, facility tiers, and the coverage tables by township."""
