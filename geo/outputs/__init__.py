"""Everything a run writes: tables, results.gpkg, the offline map, figures, report,
workbook, and the siting / designation / comparison outputs, each folder all or nothing."""
