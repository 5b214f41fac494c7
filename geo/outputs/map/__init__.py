"""The interactive map pages (folium, offline): coverage, measures, planning answers."""
