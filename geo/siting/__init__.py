"""Location models on arrays (no geopandas): MCLP, LSCP and p-median over a sparse
candidate x demand coverage structure, exact on HiGHS or by greedy + swap with bounds."""
