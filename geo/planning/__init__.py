"""Planning questions on a computed study: candidate sites, siting and designation,
scenarios and before/after comparison."""
