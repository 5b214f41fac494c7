"""Labels of maps, figures and reports in Chinese (``zh``) or English (``en``).

The study option ``[study] language`` picks one; :func:`text` looks a label up. Names that
the data carries in both languages (facility ``name`` / ``name_en``, standard ``label_zh`` /
``label``) are shown in both whatever the language. Assumption notes are generated in
English; in Chinese pages :func:`note` puts a Chinese gloss before the known ones.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterable

from geo.coverage.kinds import RULES as KIND_RULES

__all__ = [
    "ACTION_LABELS", "LANGUAGES", "TYPE_LABELS", "action_label", "change_detail",
    "column_titles", "error", "not_applicable", "note", "per_label", "road_change_id",
    "road_label", "source_label", "standard_label", "text", "texts", "tier_label", "type_label",
]

LANGUAGES = ("zh", "en")

_TEXT: dict[str, tuple[str, str]] = {
    "standard_shown": ("当前标准", "Standard shown"),
    "date": ("日期", "Date"),
    "assumptions": ("假设条件", "Assumptions"),
    "road_data": ("道路数据", "Road data"),
    "legend": ("图例", "Legend"),
    "covered_share": ("覆盖人口比例", "Share of population covered"),
    "target": ("目标", "Target"),
    "meets": ("达标", "meets target"),
    "fails": ("未达标", "below target"),
    "not_applicable": ("不适用 / 无数据", "standard not applicable / no data"),
    "township_meets": ("乡镇达标（细边框）", "township meets target (thin outline)"),
    "township_fails": ("乡镇未达标（红色粗边框）", "township below target (thick red outline)"),
    "township_pass_fill": ("乡镇达标（蓝色）", "township at or above target (blue)"),
    "names_layer": ("乡镇名称", "Township names"),
    "population": ("人口", "Population"),
    "covered": ("覆盖", "Covered"),
    "people": ("人", "people"),
    "status": ("状态", "Status"),
    "median_worst": ("中位数 / 最长 出行时间", "Median / worst minutes"),
    "median": ("中位数出行时间", "Median minutes"),
    "worst": ("最长出行时间", "Worst minutes"),
    "minutes": ("分钟", "min"),
    "note": ("说明", "Note"),
    "no_row": ("该标准下无此乡镇数据", "no coverage row for this standard"),
    "townships_layer": ("乡镇覆盖比例", "Townships: share covered"),
    "bands_layer": ("出行时间分带", "Travel-time bands"),
    "gaps_layer": ("未覆盖人口", "Uncovered population"),
    "facilities_layer": ("医疗卫生机构", "Health facilities"),
    "boundary_layer": ("研究区边界", "Study area boundary"),
    "no_basemap": ("无底图（可离线使用）", "No basemap (works offline)"),
    "nothing_covered": ("无覆盖", "nothing covered"),
    "bands_note": (
        "出行时间分带按需求网格分辨率绘制，不是以机构为圆心的圆；显示分带时乡镇只画边框",
        "bands drawn at the demand-grid resolution, from computed travel times (not circles); "
        "while they are on, townships are drawn as outlines",
    ),
    "gap_tip": ("{minutes} 分钟以外的人口", "people beyond {minutes} min"),
    "name_en": ("英文名称", "English name"),
    "name_zh": ("中文名称", "Chinese name"),
    "type": ("类型", "Type"),
    "grade": ("等级", "Grade"),
    "location_quality": ("位置精度", "Location quality"),
    "tier": ("层级", "Tier"),
    "nearest_peer": ("到最近同层级机构", "To nearest other facility of its tier"),
    "peer_none": ("无其他同层级机构", "no other facility of this tier"),
    "by_road": ("按道路行车", "by road"),
    "same_position": ("同一位置", "same position"),
    "shared": (
        "图标略有移位：此位置与以下机构相同：{names}",
        "Marker moved a few pixels: this position is shared with {names}.",
    ),
    "shared_position": ("多个机构的真实位置", "shared true position"),
    "township": ("乡镇", "Township"),
    "share_axis": ("覆盖人口比例（%）", "Population covered (%)"),
    "bar_title": ("各乡镇覆盖人口比例：{label}", "Share covered by township: {label}"),
    "map_title": ("{label}：出行时间与乡镇达标情况", "{label}: travel time and townships"),
    "facility": ("医疗卫生机构", "health facility"),
    "summary": ("研究概要", "Study summary"),
    "sources": ("数据来源", "Data sources"),
    "standard": ("标准", "Standard"),
    "threshold": ("时间阈值（分钟）", "Threshold (min)"),
    "covered_population": ("覆盖人口", "Covered population"),
    "p90": ("90%人口出行时间（分钟）", "90th percentile (min)"),
    "worst_township": ("覆盖最差的乡镇", "Worst-served township"),
    "failing": ("未达标乡镇数", "Townships below target"),
    "none_below": ("无未达标乡镇", "no township below target"),
    "figures": ("图", "Figures"),
    "generated": ("生成", "Generated"),
    "source_doc": ("依据文件", "Source document"),
    # the printable report (geo.outputs.document)
    "contents": ("目录", "Contents"),
    "appendix": ("附录", "Appendix"),
    "see_assumptions": ("假设条件见第{n}节", "assumptions: section {n}"),
    "assumptions_lead": ("本报告的全部数字基于以下假设条件与近似处理：",
                         "Every number of this report rests on these assumptions and "
                         "approximations:"),
    "figure": ("图{n}", "Figure {n}"),
    "figure_map": ("{label}：出行时间分带、未覆盖人口与乡镇达标情况",
                   "{label}: travel-time bands, uncovered people and townships"),
    "figure_chart": ("{label}：各乡镇覆盖人口比例与目标", "{label}: share covered by township "
                     "against the target"),
    "left_out_std": ("{label}（{code}）{reason}，正文不列出。",
                     "{label} ({code}) {reason}; left out of this report's body."),
    "missing_measures": ("如何计算未列出的指标", "How to compute the measures not shown"),
    "missing_lead": ("以下指标在本研究中未计算。每条说明所需的数据以及在研究文件中启用它的设置。",
                     "These measures were not computed in this study. Each line names the data "
                     "it needs and the study-file setting that enables it."),
    "total_row": ("{name}（全县合计）", "{name} (whole area)"),
    "report_question": ("问题", "Question"),
    "report_answer": ("结论", "Answer"),
    "by_township": ("各乡镇实施前后对比", "Before and after, by township"),
    "map_figure": ("地图", "Map"),
    # batch outputs (geo batch)
    "area": ("区县", "Area"),
    "area_id": ("区县代码", "Area id"),
    "run_status": ("运行状态", "Status"),
    "townships_n": ("乡镇数", "Townships"),
    "facilities_inside": ("区内机构数", "Facilities inside"),
    "seconds": ("用时（秒）", "Seconds"),
    "error": ("错误", "Error"),
    "by_area": ("各区县覆盖情况", "Coverage by area"),
    "no_results": ("无结果", "no results"),
    "run_sheet": ("运行情况", "run log"),
    "failed_areas": ("未运行或失败的区县（无结果）", "Areas not run or failed (no results)"),
    "county_layer": ("区县边界", "County outlines"),
    "no_target_here": ("（规划目标{target}针对{minutes}分钟，此处不评价是否达标）",
                       " (the plan's target {target} is for {minutes} min: no pass/fail here)"),
    # resource ratios, access measures and emergency response (geo.study.resources)
    "measures_section": ("资源配置与可及性", "Resource ratios and access"),
    "response_section": ("院前急救反应", "Emergency response"),
    "measure": ("指标", "Measure"),
    "measure_shown": ("当前指标", "Measure shown"),
    "method": ("方法", "Method"),
    "ratio": ("比值", "Ratio"),
    "per_people": ("每{per}人", "per {per} people"),
    "potential": ("潜力值（无单位）", "potential (no unit)"),
    "supply_reached": ("可及供给", "Supply within reach"),
    "supply": ("供给", "Supply"),
    "no_target": ("无目标值", "no target"),
    "not_computed": ("未计算的指标及所需数据", "Not computed, and the data that would enable it"),
    "stated": ("文件所述全县数字（非本研究计算）", "Stated whole-area figures (not computed here)"),
    "catchment_population": ("服务范围内人口（加权）", "Catchment population (weighted)"),
    "catchment_ratio": ("服务范围比值", "Catchment ratio"),
    "served_population": ("服务人口（最近机构）", "People served (nearest facility)"),
    "served_ratio": ("每服务人口比值", "Supply per people served"),
    "idle": ("无人可及", "Reaches nobody"),
    "kind_response": ("反应时间（出车+行车到现场）", "Response (dispatch + drive to the scene)"),
    "kind_care": ("到达医院时间（反应+现场+送医）", "Time to definitive care"),
    "share_within": ("时限内人口比例", "Share within the target"),
    "care_median": ("到达医院中位时间（分钟）", "Care: median (min)"),
    "care_p90": ("到达医院90%人口时间（分钟）", "Care: 90th percentile (min)"),
    "target_minutes": ("时限（分钟）", "Target (min)"),
    "unreached": ("无法到达人口", "People unreached"),
    "workload_sheet": ("机构服务人口", "workload"),
    "response_sheet": ("急救反应", "response"),
    "notes_sheet": ("指标说明", "measure notes"),
    "townships_slot": ("乡镇（按当前标准或指标着色）",
                       "Townships (by the standard or measure shown)"),
    "cells_layer": ("网格可及性指数", "Access index by grid cell"),
    "catchments_layer": ("服务范围（最近机构）", "Catchments (nearest facility)"),
    "workload_layer": ("机构服务人口（圆圈大小）", "Workload per facility (circle size)"),
    "access_index": ("可及性指数", "Access index"),
    "below_target_outline": ("乡镇低于目标（红色粗边框）",
                             "township below target (thick red outline)"),
    "no_reach": ("范围内无机构", "no facility within reach"),
    "response_line": ("{label}：出车{dispatch}分钟，目标{minutes}分钟内{share}",
                      "{label}: dispatch {dispatch} min, target {share} within {minutes} min"),
    # planning outputs (geo site / designate / compare)
    "within_today": ("现状{minutes}分钟内可达", "within {minutes} min today"),
    "newly_within": ("新增{minutes}分钟内可达", "newly within {minutes} min"),
    "chosen_sites": ("选定站点（按序号）", "chosen sites (ranked)"),
    "candidates": ("候选点（{n}个）", "candidates ({n})"),
    "existing_facilities": ("现有机构：{label}", "existing facilities: {label}"),
    "gained_layer": ("新增覆盖区域", "newly covered area"),
    "lost_layer": ("失去覆盖区域", "area no longer covered"),
    "change_layer": ("乡镇覆盖比例变化", "Townships: change in share covered"),
    "townships_outline": ("乡镇（边界与数据）", "Townships (outlines and figures)"),
    "changes_layer": ("规划变动（实施前 → 后）", "planned changes (before → after)"),
    "new_roads": ("新建道路", "new roads"),
    "hazard_layer": ("灾害范围", "hazard extent"),
    "closed_roads": ("关闭的道路", "closed roads"),
    "slowed_roads": ("减速的道路", "slowed roads"),
    "failing_towns": ("受灾后跌破目标的乡镇", "townships that fall below target"),
    "hazard_section": ("灾害情景：道路中断的影响", "Hazard scenario: what the cut roads do"),
    "hazard_closed": ("{layers}关闭了 {n} 段道路（{km} 公里）", "{layers} close {n} road "
                      "segments ({km} km)"),
    "hazard_drop": ("{town}{label}（{minutes} 分钟）覆盖率从 {a} 降到 {b}（减少 {people} 人）",
                    "{town}: {label} ({minutes} min) coverage falls from {a} to {b} ({people} "
                    "people fewer)"),
    "hazard_fails": ("跌破目标的乡镇：{towns}", "townships falling below target: {towns}"),
    "hazard_no_drop": ("没有乡镇的覆盖率下降", "no township's coverage falls"),
    "hazard_rule": ("关闭规则", "rule"),
    "hazard_said": ("图层说明", "the layer says"),
    "hazard_rule_polygons": ("道路线段穿过或接触多边形即关闭",
                             "a road segment is closed if it crosses or touches a polygon"),
    "hazard_rule_raster": ("栅格值 ≥ {threshold} 的像元为危险像元（道路范围内 {cells} 个）；"
                           "道路线段穿过或接触危险像元即关闭", "cells >= {threshold} are hazardous "
                           "({cells} under the roads); a road segment is closed if it crosses "
                           "or touches a hazardous cell"),
    "hazard_rule_points": ("{n} 个点各按{radius}缓冲成圆（64 边形）；道路线段穿过或接触圆即关闭",
                           "{n} points each buffered by {radius} (64-sided circles); a road "
                           "segment is closed if it crosses or touches a circle"),
    "hazard_radius": ("半径 {m} 米", "a radius of {m} m"),
    "hazard_radius_column": ("各自 buffer_m 列的半径", "its own buffer_m radius"),
    "gis_layer_file": ("图层文件", "layer file"),
    "gis_hazard_kind": ("图层类型", "kind of layer"),
    "gis_road_change": ("变动", "change"),
    "road_closed": ("封闭", "closed"),
    "road_slowed": ("减速", "slowed"),
    "gis_road_class": ("道路等级", "road class"),
    "gis_length_m": ("长度（米）", "length (m)"),
    "gis_mode": ("出行方式", "mode"),
    "facilities_after": ("实施后的医疗卫生机构", "health facilities after the scenario"),
    "siting_line": ("{model}选址：{label}（{code}），{minutes}分钟内",
                    "{model} siting: {label} ({code}) within {minutes} min"),
    "designation_line": ("从现有机构中指定：{label}（{code}），{minutes}分钟内",
                         "designating existing facilities for {label} ({code}) within "
                         "{minutes} min"),
    "scenario_line": ("规划方案：{name}", "Scenario: {name}"),
    "solution": ("求解：{status}，最优间隙 {gap}（{method}）",
                 "solution: {status}, gap {gap} ({method})"),
    "covered_line": ("{minutes}分钟内人口：{before} → {after}（{change}）",
                     "people within {minutes} min: {before} → {after} ({change})"),
    "rank": ("序号", "Rank"),
    # road criticality (geo resilience)
    "criticality_line": ("道路关键性：{label}（{code}），{minutes}分钟内；逐段单独中断",
                         "road criticality: {label} ({code}) within {minutes} min; each "
                         "piece cut alone"),
    "criticality_sheet": ("道路关键性", "criticality"),
    "crit_section": ("哪些道路承载着{label}", "The roads the {label} depends on"),
    "crit_table": ("最关键的 {n} 段道路", "The {n} most critical road pieces"),
    "crit_headline": ("这 {k} 段道路承载着{towns}的{label}（{minutes} 分钟）：任何一段单独中断，"
                      "都会有人失去该标准",
                      "these {k} roads carry the {label} ({minutes} min) of {towns}: cutting "
                      "any one of them alone takes people out of it"),
    "crit_none": ("没有哪一段道路单独中断会使任何人失去{label}（{minutes} 分钟）",
                  "no road piece cut alone takes anyone out of the {label} ({minutes} min)"),
    "crit_piece": ("{road}（{km} 公里{near}）中断：{towns}共 {people} 人失去该标准，最长出行时间 "
                   "{worst} 分钟", "{road} ({km} km{near}) cut: {people} people in {towns} "
                   "lose it, the longest trip becomes {worst} min"),
    "crit_near": ("，经度 {lon}、纬度 {lat} 附近", ", near lon {lon}, lat {lat}"),
    "crit_detour": ("；两端之间绕行多 {detour} 分钟", "; the detour between its ends takes "
                    "{detour} min more"),
    "crit_no_detour": ("；两端之间没有绕行路线", "; there is no detour between its ends"),
    "crit_faster": ("；两端之间另有一条更快的路线（快 {faster} 分钟）",
                    "; another route between its ends is {faster} min quicker than the piece"),
    "crit_cut_off": ("；{people} 人将无路可达任何机构", "; {people} people are cut off from "
                     "every facility by road"),
    "crit_fix": ("；在经度 {lon_a}、纬度 {lat_a} 与经度 {lon_b}、纬度 {lat_b} 之间"
                 "新修一段 {km} 公里道路（直线，按{cls}每小时 {kmh} 公里估算路线）"
                 "可保住其中 {people} 人（重新计算；"
                 "方案 {scenario} 可编辑后用 geo compare 复核）",
                 "; a new road of {km} km between lon {lon_a}, lat {lat_a} and lon {lon_b}, "
                 "lat {lat_b} (a straight line, at {kmh} km/h as a {cls}) would keep {people} "
                 "of them (rerun; scenario {scenario}, editable, for geo compare)"),
    "crit_fix_none": ("；{reach} 公里内未找到能保住人口的新修道路（原因见假设条件）",
                      "; no new road within {reach} km was found that keeps anyone (why: "
                      "see the assumptions)"),
    "fixes_sheet": ("修复建议", "suggested fixes"),
    "fixes_line": ("每段关键道路中断时新修一段道路可保住的人口（直线估算路线，重新计算）",
                   "a new road link per critical piece: the people it keeps under the cut "
                   "(straight-line route, rerun)"),
    "people_restored": ("新修道路可保住的人口", "People kept by the new link"),
    "people_still_lost": ("仍失去达标的人口", "People still losing the standard"),
    "link_km": ("新修道路长度（公里）", "New link length (km)"),
    "link_kmh": ("估算车速（公里/小时）", "Assumed speed (km/h)"),
    "link_minutes": ("新修道路通行时间", "Minutes along the link"),
    "link_candidates": ("候选连线（条）", "Candidate links (links)"),
    "scenario_file": ("方案文件", "Scenario file"),
    "crit_site": ("；在经度 {lon}、纬度 {lat} 新设一处{kind}可恢复其中 {people} 人"
                  "（选址网格候选点，重新计算；方案 {scenario}）",
                  "; a new {kind} at lon {lon}, lat {lat} would restore {people} of them "
                  "(a siting-grid candidate, rerun; scenario {scenario})"),
    "site_people_restored": ("新设机构可恢复的人口", "People restored by the new facility"),
    "site_type": ("新设机构类型", "New facility type"),
    "site_candidates": ("候选点（个）", "Candidate sites (sites)"),
    "site_at": ("新设机构", "new facility"),
    "link_from": ("起点", "from"),
    "link_to": ("终点", "to"),
    "road": ("道路", "Road"),
    "road_class": ("道路等级", "Road class"),
    "length_km": ("长度（公里）", "Length (km)"),
    "people_lost": ("失去达标的人口", "People who lose the standard"),
    "person_minutes": ("增加的人·分钟（人·分钟）", "Person-minutes added (person-min)"),
    "people_cut_off": ("道路中断后无路可达的人口", "People cut off by road"),
    "townships_losing": ("受影响乡镇", "Townships losing people"),
    "worst_after": ("中断后最长出行时间", "Worst minutes after"),
    "detour": ("绕行增加时间", "Detour minutes"),
    "piece_minutes": ("该路段通行时间", "Minutes along the piece"),
    "points_slower": ("变慢的需求点（个）", "Demand points slower (points)"),
    "id": ("编号", "ID"),
    "name": ("名称", "Name"),
    "lon": ("经度", "Longitude"),
    "lat": ("纬度", "Latitude"),
    "newly_covered": ("新增覆盖人口", "Newly covered population"),
    "cumulative_share": ("累计覆盖人口比例", "Cumulative share covered"),
    "covered_before": ("实施前覆盖人口", "Covered before"),
    "covered_after": ("实施后覆盖人口", "Covered after"),
    "covered_change": ("覆盖人口变化", "Change in covered population"),
    "share_before": ("实施前覆盖比例", "Share covered before"),
    "share_after": ("实施后覆盖比例", "Share covered after"),
    "share_change": ("覆盖比例变化", "Change in share covered"),
    "median_before": ("实施前中位出行时间", "Median minutes before"),
    "median_after": ("实施后中位出行时间", "Median minutes after"),
    "median_change": ("中位出行时间变化", "Change in median minutes"),
    "status_after": ("实施后达标情况", "Status after"),
    "threshold_min": ("时间阈值", "Threshold"),
    "before": ("实施前", "before"),
    "after": ("实施后", "after"),
    "whole_area": ("（全县合计）", " (whole area)"),
    "action": ("变动", "Action"),
    "project": ("项目", "Project"),
    "detail": ("内容", "Detail"),
    "left_out": ("未纳入的项目", "Projects left out"),
    "reason": ("原因", "Reason"),
    "objective": ("目标函数", "Objective"),
    "notes": ("说明", "Notes"),
    "sites_sheet": ("选址", "sites"),
    "townships_sheet": ("乡镇", "townships"),
    "summary_sheet": ("汇总", "summary"),
    "changes_sheet": ("变动", "changes"),
    "sources_sheet": ("说明与来源", "notes and sources"),
    "gain": ("乡镇覆盖比例上升", "township: share covered rises"),
    "loss": ("乡镇覆盖比例下降", "township: share covered falls"),
    "no_change": ("乡镇覆盖比例不变", "township: no change"),
    "names_omitted": (
        "共 {n} 个乡镇，图中不标注名称；各乡镇数值见 coverage_by_township.csv",
        "{n} townships: names not drawn; every township is in coverage_by_township.csv",
    ),
    "lowest_shown": (
        "仅显示覆盖比例最低的 {shown} 个乡镇（共 {n} 个；全部见 coverage_by_township.csv）",
        "the {shown} of {n} townships with the lowest share (all in coverage_by_township.csv)",
    ),
    # the planner's workbench (geo serve): the page's labels, "wb_" + the key the page uses
    "wb_title": ("规划工作台", "Planner's workbench"),
    "wb_standard": ("标准", "Standard"),
    "wb_add": ("新增机构", "Add a facility"),
    "wb_add_button": ("点击地图放置", "Place by clicking the map"),
    "wb_adding": ("请点击地图放置（Esc 取消）", "Click the map to place it (Esc cancels)"),
    "wb_type": ("类型", "Type"),
    "wb_hint": ("拖动机构图标可迁移；点击图标可关闭、改变类型或指定职能（如急救站）",
                "Drag a facility to move it; click it to close, upgrade or designate it "
                "(e.g. as an ambulance base)"),
    "wb_close": ("关闭该机构", "Close it"),
    "wb_retype": ("改为（升级）", "Change type to (upgrade)"),
    "wb_designate": ("同时指定为", "Also designate as"),
    "wb_apply": ("确定", "Apply"),
    "wb_undo": ("撤销", "Undo"),
    "wb_redo": ("重做", "Redo"),
    "wb_suggest": ("建议选址", "Suggest sites"),
    "wb_suggest_button": ("求解", "Suggest"),
    "wb_model": ("模型", "Model"),
    "wb_k": ("站点数", "Sites"),
    "wb_model_mclp": ("最大覆盖（MCLP）", "maximal covering (MCLP)"),
    "wb_model_lscp": ("最少站点达到目标（LSCP）", "fewest sites reaching the target (LSCP)"),
    "wb_model_pmedian": ("人口加权时间最短（p-中位）", "least population-weighted time "
                         "(p-median)"),
    "wb_suggest_note": ("现有机构与已放置站点保持不变；各站点为共同求解结果",
                        "existing and placed facilities kept; the sites are chosen together"),
    "wb_accept": ("采纳", "Accept"),
    "wb_reject": ("放弃", "Reject"),
    "wb_proposal": ("建议站点{rank}", "proposed site {rank}"),
    "wb_new_name": ("新增{type}{n}", "new {type} {n}"),
    "wb_files": ("方案文件", "Scenario files"),
    "wb_save": ("保存方案（TOML）", "Save scenario (TOML)"),
    "wb_load": ("载入方案（TOML）", "Load scenario (TOML)"),
    "wb_export": ("导出对比结果（geo compare）", "Export comparison (geo compare)"),
    "wb_exported": ("已写入 {folder}；与界面表格{same}", "written to {folder}; {same}"),
    "wb_same": ("一致", "equal to the table on the page"),
    "wb_differs": ("不一致：{rows}", "differs from the table on the page: {rows}"),
    "wb_loaded": ("已载入方案 {name}", "scenario {name} loaded"),
    "wb_scenario_name": ("方案名称", "Scenario name"),
    "wb_change": ("与现状相比", "Change from the baseline"),
    "wb_gained": ("新增覆盖", "Newly covered"),
    "wb_lost": ("失去覆盖", "Lost"),
    "wb_share": ("覆盖比例", "Share"),
    "wb_share_change": ("比例变化", "Share change"),
    "wb_median": ("中位数（分钟）", "Median (min)"),
    "wb_whole": ("全区", "Whole area"),
    "wb_error": ("错误", "Error"),
    "wb_busy": ("计算中…", "Working…"),
    "wb_server_ms": ("服务器用时 {ms} 毫秒", "server {ms} ms"),
    "wb_no_change": ("尚无变动", "No change yet"),
    "wb_na": ("不适用：没有可计入该标准的机构", "not applicable: no facility counts for it"),
    "wb_na_town": ("不适用", "not applicable"),
    "wb_baseline": ("现状", "baseline"),
    "wb_now": ("方案", "now"),
    # population groups and equity (健康公平)
    "equity": ("健康公平", "Health equity"),
    "equity_sheet": ("健康公平", "equity"),
    "group_sheet": ("人群覆盖", "group coverage"),
    "group": ("人群", "Population group"),
    "group_all": ("全体人口", "whole population"),
    "group_coverage": ("{label}：各人群覆盖人口比例",
                       "{label}: share of each group covered"),
    "equity_table": ("{label}：出行时间公平性", "{label}: equity of travel time"),
    "gini": ("基尼系数", "Gini"),
    "theil": ("泰尔指数", "Theil"),
    "theil_between": ("泰尔·乡镇间", "Theil between townships"),
    "theil_within": ("泰尔·乡镇内", "Theil within townships"),
    "between_share": ("乡镇间占比", "Share between townships"),
    "best_township": ("覆盖最好乡镇", "Best-served township"),
    "best_share": ("最好覆盖比例", "Best share"),
    "worst_share": ("最差覆盖比例", "Worst share"),
    "share_gap": ("最好与最差差距", "Best–worst gap"),
    "uncovered_population": ("未覆盖人口", "Uncovered people"),
    "unreached_population": ("无可达机构人口", "People with no reachable facility"),
    "share_of_uncovered": ("占未覆盖人口", "Share of the uncovered"),
    "share_of_population": ("占总人口", "Share of the population"),
    "representation": ("代表性比", "Representation ratio"),
    "equity_lead": ("各人群按乡镇的覆盖比例，以及按人口加权的出行时间不平等指数。"
                    "指数只计有可达机构的人口；定义与来源见本节末。",
                    "Coverage of each population group by township, and population-weighted "
                    "inequality of travel minutes. The indices count people with a reachable "
                    "facility; definitions and sources at the end of this section."),
    "definitions": ("定义与来源", "Definitions and sources"),
    "equality": ("完全均等", "perfect equality"),
    "lorenz_title": ("{label}：出行时间洛伦兹曲线", "{label}: Lorenz curve of travel minutes"),
    "lorenz_x": ("人口累计比例（出行时间由短到长）",
                 "Cumulative share of people (shortest trip first)"),
    "lorenz_y": ("出行时间累计比例", "Cumulative share of travel minutes"),
    "figure_lorenz": ("{label}的洛伦兹曲线", "Lorenz curve of {label}"),
    # what each equity measure is, with its source (the report and the workbook quote these)
    "def_gini": ("出行时间（到该标准最近机构的分钟数）的人口加权基尼系数："
                 "G = ΣΣ w_i w_j |x_i − x_j| / (2 W² μ)；0 表示人人出行时间相同"
                 "（Gini 1912；加权形式见 Lerman & Yitzhaki 1989；"
                 "等于 PySAL inequality.gini.Gini 按每人出行时间计算的结果）",
                 "population-weighted Gini index of travel minutes to the nearest facility of "
                 "the standard: G = ΣΣ w_i w_j |x_i − x_j| / (2 W² μ); 0 = everyone travels "
                 "equally long (Gini 1912; weighted form as in Lerman & Yitzhaki 1989; equals "
                 "PySAL inequality.gini.Gini on each person's minutes)"),
    "def_theil": ("同一出行时间的人口加权泰尔指数 T = Σ (w_i/W)(x_i/μ) ln(x_i/μ)（Theil 1967；"
                  "PySAL inequality.theil.Theil）",
                  "population-weighted Theil index T = Σ (w_i/W)(x_i/μ) ln(x_i/μ) of the same "
                  "minutes (Theil 1967; PySAL inequality.theil.Theil)"),
    "def_theil_between": ("T 中乡镇间的部分：每人取所在乡镇的平均出行时间（Shorrocks 1980；"
                          "PySAL inequality.theil.TheilD）",
                          "the part of T between townships: every person given their "
                          "township's mean minutes (Shorrocks 1980; PySAL "
                          "inequality.theil.TheilD)"),
    "def_theil_within": ("T 中乡镇内的部分：T − 乡镇间部分，"
                         "即各乡镇自身的泰尔指数按其出行时间总量占比加权",
                         "the part of T within townships: T − between, the townships' own "
                         "Theil indices weighted by their share of the total travel minutes"),
    "def_between_share": ("乡镇间部分 / T：不平等中有多少来自乡镇之间",
                          "between / T: how much of the inequality lies between townships"),
    "def_share_gap": ("覆盖最好乡镇与覆盖最差乡镇的覆盖比例之差（只计该人群有人口的乡镇）",
                      "covered share of the best-served township minus that of the "
                      "worst-served (townships where the group has people)"),
    "def_share_of_uncovered": ("超出该标准时间的人口中该人群所占比例",
                               "the group's people beyond the standard's minutes as a share "
                               "of all people beyond them"),
    "def_representation": ("代表性比 = 占未覆盖人口 / 占总人口："
                           "大于 1 表示该人群在未覆盖人口中比重偏高",
                           "share of the uncovered / share of the population: above 1 the "
                           "group is over-represented among the people the standard does "
                           "not reach"),
    "def_unreached_population": ("没有可达机构的人口：不计入基尼系数和泰尔指数"
                                 "（没有出行时间可排序），计为未覆盖",
                                 "people with no reachable facility of the standard: left out "
                                 "of the Gini and Theil indices (no travel time to rank), "
                                 "counted as uncovered"),
    "groups_none": ("未计算各人群（老年人、儿童、育龄妇女）的覆盖与健康公平指标：研究未设人口分组。"
                    "用七普乡镇人口表的年龄列（如 0—14岁、15—59岁、60岁及以上、65岁及以上）计算："
                    "[population] method = \"table\"，并设 [population] groups = "
                    "{ \"65岁及以上\" = \"elderly_65\", \"0—14岁\" = \"children\" }。",
                    "Coverage of population groups (elderly, children, women of childbearing "
                    "age) and the equity measures not computed: the study has no population "
                    "groups. The age columns of the 7th-census township table (0—14岁, "
                    "15—59岁, 60岁及以上, 65岁及以上) compute them: [population] method = "
                    "\"table\" with [population] groups = { \"65岁及以上\" = \"elderly_65\", "
                    "\"0—14岁\" = \"children\" }."),
    "gis_group_coverage": ("人群覆盖", "Coverage by population group"),
    "gis_equity": ("健康公平", "Health equity by standard and group"),
    "wb_outside_keep": ("保留在研究区外", "keep it outside the county"),
    "wb_outside_ask": ("该位置在研究区外。仍要保留在研究区外吗？（保存的方案中写为 outside = true，"
                       "geo compare 会接受并在说明中注明）",
                       "This place is outside the study area. Keep it there on purpose? (written "
                       "outside = true in the saved scenario; geo compare accepts it and says so)"),
    "wb_outside_mark": ("研究区外", "outside the county"),
    "wb_stale": ("另一个标签页或同事已修改工作台，本页已过期。",
                 "Another tab or colleague changed the workbench: this page is out of date."),
    "wb_reload": ("重新载入页面", "Reload the page"),
    "wb_target_short": ("目标 {share}", "target {share}"),
    "wb_counts": ("计入当前标准", "counts for the standard shown"),
    "wb_not_counts": ("不计入当前标准", "does not count for the standard shown"),
    "wb_legend_types": ("机构图例", "Facility markers"),
    "wb_legend_new": ("金色边框：新增", "gold ring: new"),
    "wb_legend_closed": ("灰色叉号：已关闭", "grey cross: closed"),
    "wb_legend_outside": ("虚线边框：研究区外", "dashed ring: outside the county"),
    "wb_legend_spread": ("同一位置的机构围成一圈，细线指向实际位置",
                         "facilities on one spot are spread in a ring; thin lines point to the "
                         "spot"),
    "wb_changes": ("修改记录（撤销历史）", "Changes (undo history)"),
    "wb_changes_none": ("尚无修改", "no change yet"),
    "wb_changes_limit": ("最多保留 {steps} 步，其中最多 {loads} 次载入方案；已忘记 {forgotten} 步",
                         "keeps the last {steps} steps, of which at most {loads} scenario loads; "
                         "{forgotten} older steps forgotten"),
    "wb_undo_here": ("撤销到此", "undo to here"),
    "wb_redo_here": ("重做到此", "redo to here"),
    "wb_start_point": ("现状（未修改）", "the study as it is (no change)"),
    "wb_kind_add": ("新增", "added"),
    "wb_kind_move": ("迁建", "moved"),
    "wb_kind_close": ("关闭", "closed"),
    "wb_kind_close_road": ("封闭道路", "road closed"),
    "wb_kind_slow_road": ("道路限速", "road slowed"),
    "wb_road_button": ("封闭道路", "Close a road"),
    "wb_closing_road": ("请点击要封闭的道路：关闭其两个路口之间的路段（Esc 取消；撤销即重新开放）",
                        "Click the road to close: the stretch between its junctions closes "
                        "(Esc cancels; undo opens it again)"),
    "wb_roads": ("封闭或限速的道路", "Roads closed or slowed"),
    "wb_kind_retype": ("改变类型", "re-typed"),
    "wb_kind_designate": ("指定职能", "designated"),
    "wb_kind_load": ("载入方案", "loaded scenario"),
    "wb_job_candidates": ("准备候选站点", "preparing candidate sites"),
    "wb_job_reach": ("计算候选站点可达范围（每个标准一次）", "measuring the candidates' reach "
                     "(once per standard)"),
    "wb_job_solving": ("求解", "solving"),
    "wb_job_alternatives": ("检查同等最优方案", "checking for equally good answers"),
    "wb_job_comparing": ("重新计算对比（geo compare）", "comparing afresh (geo compare)"),
    "wb_job_writing": ("写出表格、工作簿和地图", "writing tables, workbook and map"),
    "wb_job_start": ("开始", "starting"),
    "wb_cancel": ("取消", "Cancel"),
    "wb_cancelled": ("已取消", "cancelled"),
    "wb_elapsed": ("{s} 秒", "{s} s"),
    "wb_lscp_sites": ("LSCP 需要 {sites} 个站点才能达到目标 {target}"
                      "（站点数 {asked} 不用于 LSCP）",
                      "LSCP needed {sites} sites to reach the target {target} (asked {asked}: "
                      "the number is not used by LSCP)"),
    "wb_solver": ("求解：{status}，{method}", "solved: {status}, {method}"),
    "wb_alternatives": ("同等最优替换 {n} 个", "{n} equally good swaps"),
    "wb_unique": ("唯一（单点替换无同等方案）", "unique up to one-site changes"),
    "wb_scenario_head": ("已载入方案", "Loaded scenario"),
    "wb_left_out": ("未纳入的规划项目", "Planned projects left out"),
    "wb_export_done": ("已导出：{folder}", "exported to {folder}"),
    "wb_export_command": ("在命令行重现：", "redo it from the command line:"),
    "wb_search": ("查找乡镇", "Find a township"),
    "wb_search_none": ("没有名为“{q}”的乡镇", "no township called {q}"),
    "wb_spot": ("该点", "This spot"),
    "wb_spot_minutes": ("{minutes} 分钟到 {name}", "{minutes} min to {name}"),
    "wb_spot_none": ("无可达机构", "no facility reaches it"),
    "wb_spot_outside": ("研究区外 {km} km", "{km} km outside the study area"),
    "wb_print": ("打印当前视图（A4 横向）", "Print this view (A4 landscape)"),
    "wb_png": ("导出 PNG", "Export PNG"),
    "wb_north": ("北", "N"),
    "wb_printed": ("打印于 {date}", "printed {date}"),
    "wb_side": ("方案对比（并排）", "Two scenarios side by side"),
    "wb_side_a": ("方案 A", "Scenario A"),
    "wb_side_b": ("方案 B", "Scenario B"),
    "wb_side_present": ("（留空：当前工作台状态）", "(empty: the workbench as it is now)"),
    "wb_side_go": ("并排显示", "Show side by side"),
    "wb_side_close": ("关闭对比", "Close"),
    "wb_side_diff": ("B − A", "B − A"),
    "wb_refused": ("操作未执行，状态未改变", "Not done; nothing changed"),
    # GIS layers: GeoPackage layer titles, descriptions, legends and field aliases
    # (geo.outputs.gis_styles); "gis_" + what it names
    "gis_townships": ("乡镇覆盖与达标（各标准）", "Townships: coverage and target by standard"),
    "gis_townships_about": (
        "各乡镇人口及各标准的覆盖人口、覆盖比例、目标和达标情况；每个标准一个样式（图层属性→样式）",
        "population of each township and, per standard, people covered, share, target and "
        "status; one style per standard (Layer Properties → Style)"),
    "gis_facilities_about": ("医疗卫生机构，按类型着色", "health facilities, coloured by type"),
    "gis_area_about": ("研究区边界", "the study area's boundary"),
    "gis_bands": ("出行时间分带：{label}", "Travel-time bands: {label}"),
    "gis_bands_about": ("到最近可计入机构的出行时间分带（分钟），按需求网格绘制",
                        "minutes to the nearest eligible facility, in bands, drawn on the "
                        "demand grid"),
    "gis_gaps": ("未覆盖人口：{label}", "Uncovered population: {label}"),
    "gis_gaps_about": ("各乡镇{minutes}分钟以外的范围及人口",
                       "areas and people beyond {minutes} min, by township"),
    "gis_isochrones": ("{minutes}分钟可达范围：{label}", "Within {minutes} min: {label}"),
    "gis_isochrones_about": ("出行时间在{minutes}分钟以内的需求网格单元之并",
                             "union of the demand-grid cells within {minutes} min"),
    "gis_demand": ("需求点（网格）：人口与出行时间", "Demand points: people and minutes"),
    "gis_demand_about": ("需求点的人口、所属乡镇及到各标准最近机构的出行时间（分钟）",
                         "people, township and minutes to the nearest facility per standard "
                         "of each demand point"),
    "gis_table_about": ("表（无几何）", "table (no geometry)"),
    "gis_coverage": ("各乡镇覆盖（表）", "Coverage by township (table)"),
    "gis_summary": ("全区覆盖汇总（表）", "Coverage of the study area (table)"),
    "gis_metadata": ("运行信息（表）", "Run record (table)"),
    "gis_measures": ("资源配置指标（表）", "Resource ratios (table)"),
    "gis_measure_facilities": ("机构服务人口：{label}", "Workload per facility: {label}"),
    "gis_response": ("院前急救反应（表）", "Emergency response (table)"),
    "gis_access": ("可及性指数：{label}", "Access index: {label}"),
    "gis_catchments": ("服务范围（最近机构）：{label}", "Catchments (nearest facility): {label}"),
    "gis_response_bands": ("急救反应时间分带：{label}", "Response-time bands: {label}"),
    "gis_described": ("{what}。{where}", "{what}. {where}"),
    "gis_workload_about": ("各机构的供给、服务范围人口和服务人口",
                           "supply, catchment population and people served per facility"),
    "gis_assumptions": ("假设条件与数据来源见元数据（图层属性→元数据）",
                        "assumptions and sources: the layer metadata (Layer Properties → "
                        "Metadata)"),
    "gis_meets_rule": ("达标（≥ 目标 {target}）", "meets the target (≥ {target})"),
    "gis_fails_rule": ("未达标：覆盖 {lo}–{hi}", "below target: {lo}–{hi} covered"),
    "gis_rounded_down": ("未达标乡镇的百分比向下取整", "shares below target rounded down"),
    "gis_minutes_band": ("{band} 分钟", "{band} min"),
    "gis_people_beyond": ("{minutes}分钟以外的人口", "people beyond {minutes} min"),
    "gis_covered_of": ("{label}：覆盖人口", "{label}: people covered"),
    "gis_share_of": ("{label}：覆盖比例", "{label}: share covered"),
    "gis_target_of": ("{label}：目标比例", "{label}: target share"),
    "gis_status_of": ("{label}：达标情况", "{label}: status"),
    "gis_minutes_of": ("{label}：出行时间（分钟）", "{label}: minutes"),
    "gis_nearest_of": ("{label}：最近机构", "{label}: nearest facility"),
    "gis_style": ("{label}（{code}）", "{label} ({code})"),
    "gis_outline_style": ("{label}：仅边界（叠加出行时间分带时用）",
                          "{label}: outlines only (over the travel-time bands)"),
    "gis_unreachable": ("不可达", "unreachable"),
    "gis_surface_about": (
        "到最近可计入机构的出行时间（分钟，float32），每个需求网格单元一个值；研究区以外为无数据",
        "minutes to the nearest eligible facility (float32), one value per demand-grid "
        "cell; no data outside the study area"),
    "gis_before_after": ("乡镇覆盖（实施前 → 后）", "Townships (before → after)"),
    "gis_within_today": ("现状{minutes}分钟内可达范围", "Within {minutes} min today"),
    "gis_newly_within": ("新增{minutes}分钟内可达范围", "Newly within {minutes} min"),
    "gis_chosen": ("选定站点（按序号）", "Chosen sites (ranked)"),
    "gis_candidates": ("候选点", "Candidate sites"),
    "gis_gained": ("新增覆盖区域：{label}", "Newly covered area: {label}"),
    "gis_lost": ("失去覆盖区域：{label}", "Area no longer covered: {label}"),
    "gis_change": ("乡镇覆盖比例变化：{label}", "Townships, change in share covered: {label}"),
    "gis_changes": ("规划变动", "Planned changes"),
    "gis_facilities_after": ("实施后的医疗卫生机构", "Health facilities after the scenario"),
    "gis_areas": ("各区县覆盖与运行情况", "Areas: coverage and run status"),
    "gis_areas_about": ("每个区县的运行状态及各标准的覆盖比例、未达标乡镇数、覆盖最差的乡镇",
                        "each area's run status and, per standard, share covered, townships "
                        "below target and worst-served township"),
    "gis_failed_area": ("运行失败或未运行", "failed or not run"),
    "gis_area_status": ("运行状态", "Status"),
    "gis_band": ("出行时间分带（分钟）", "Band (min)"),
    "gis_area_name": ("区县", "Area"),
    "gis_run_done": ("完成", "done"),
    "gis_run_done_reused": ("完成（沿用上次结果）", "done (reused)"),
    "gis_run_failed": ("运行失败", "failed"),
    "gis_run_not": ("未运行（--areas 未选）", "not run (left out by --areas)"),
}

# English words of an error -> Chinese gloss put before it on Chinese pages (the first
# that matches; the English message, the CLI's, follows in brackets)
_ERROR_GLOSS = (
    ("outside the study area", "位置在研究区外"),
    ("changed since this page last saw it", "另一个标签页或同事已修改工作台，请重新载入页面"),
    ("already has the role", "该机构已具有此职能；如需重新指定，请先关闭其职能机构"),
    ("is not in the facility-type table", "机构类型不在类型表中"),
    ("not facility type", "机构类型不在类型表中"),
    ("nothing to undo", "没有可撤销的操作"),
    ("nothing to redo", "没有可重做的操作"),
    ("no facility with id", "没有该编号的机构"),
    ("is closed; undo the close first", "该机构已关闭，请先撤销关闭"),
    ("would not count for", "该类型不计入所选标准"),
    ("not valid TOML", "方案文件不是有效的 TOML"),
    ("cannot apply add_road", "工作台不能应用新建道路，请用 geo compare"),
    ("no set of candidates reaches", "所有候选站点都无法达到目标"),
    ("while the sites were being worked out", "求解期间工作台已被修改，请重新求解"),
    ("needs its access token", "需要访问口令：请打开 geo serve 打印的地址"),
    ("is larger than", "请求过大"),
    ("no proposed site", "没有该建议站点，请重新求解"),
    ("scenario", "方案文件有误"),
)


def error(message: str, language: str) -> str:
    """Return an error message for a page in ``language``.

    On Chinese pages a Chinese gloss of what went wrong first, the message (the CLI's English words)
    after it.
    """
    if _index(language) == 1:
        return message
    for en, zh in _ERROR_GLOSS:
        if en in message:
            return f"{zh}（{message}）"
    return f"操作未执行（{message}）"

#: scenario action -> (zh, en)
ACTION_LABELS: dict[str, tuple[str, str]] = {
    "add": ("新增", "added"),
    "move": ("迁建", "moved"),
    "close": ("关闭", "closed"),
    "retype": ("改变类型", "re-typed"),
    "designate": ("指定职能", "designated"),
    "add_road": ("新建道路", "new road"),
    "close_road": ("封闭道路", "road closed"),
    "slow_road": ("道路减速", "road slowed"),
}


def action_label(action: str, language: str) -> str:
    """Name of a scenario action (``move`` …); unknown actions read as their code."""
    pair = ACTION_LABELS.get(action)
    return pair[_index(language)] if pair else action

#: tier names (see :mod:`geo.coverage.tiers`)
_TIERS: dict[str, tuple[str, str]] = {
    "county": ("县级医疗机构", "county-level facility"),
    "township": ("乡镇卫生院", "township health centre"),
    "community": ("社区卫生服务机构", "community health service"),
    "village": ("村卫生室", "village clinic"),
    "other": ("其他", "other"),
}

#: facility type -> (zh, en)
TYPE_LABELS: dict[str, tuple[str, str]] = {
    "county_general_hospital": ("县级综合医院", "County general hospital"),
    "county_tcm_hospital": ("县级中医医院", "County TCM hospital"),
    "county_mch_hospital": ("县妇幼保健院", "County maternal and child health hospital"),
    "county_cdc": ("县疾病预防控制中心", "County CDC"),
    "private_hospital": ("民营医院", "Private hospital"),
    "central_township_health_center": ("中心卫生院", "Central township health centre"),
    "township_health_center": ("乡镇卫生院", "Township health centre"),
    "community_health_service_center": ("社区卫生服务中心", "Community health service centre"),
    "community_health_service_station": ("社区卫生服务站", "Community health service station"),
    "grade2_hospital": ("二级医院", "Grade-2 hospital"),
    "emergency_rescue_center": ("紧急医学救援中心", "Emergency medical rescue centre"),
    "ems_station": ("院前急救站点", "Pre-hospital emergency (120) station"),
    "village_clinic": ("村卫生室", "Village clinic"),
}

# English phrase in a generated note -> Chinese gloss put before it on Chinese pages
_NOTE_GLOSS = (
    ("suggested fixes: ", "修复建议：候选新修道路为两节点间的直线，按乡道车速估算"
     "（近似，实际道路会弯曲爬坡）；初筛为估算，最优几条按方案重新计算，保住人数以重新计算为准"),
    ("suggested facility: ", "新设机构建议：在道路中断情况下用最大覆盖模型（MCLP）从选址网格"
     "候选点中选择，恢复人数以重新计算为准"),
    ("no link suggested", "未给出新修道路建议"),
    ("stood on a closed road", "原位于关闭的道路上，改接最近的开放道路"),
    ("cut off from most of the road network", "道路关闭后与大部分路网隔断，只服务其一侧的地点"),
    ("closures cut off from most of the network", "所在道路被关闭隔断于大部分路网之外"),
    ("no facility suggested", "未给出新设机构建议"),
    ("approximate township areas", "乡镇范围为近似范围"),
    ("count the population group", "该标准的覆盖人口与目标按其服务人群计算，而非全体人口"),
    ("spread evenly", "人口均匀分布"),
    ("approximate facility positions", "机构位置为近似位置"),
    ("access legs", "道路以外路段按直线和接入速度计算"),
    ("demand-grid resolution", "按需求网格分辨率绘制"),
    ("not applicable", "不适用"),
    ("road coverage:", "道路覆盖：许多人距可用道路5公里以上"),
    ("road layer extent:", "道路图层未覆盖部分研究区"),
    ("township gaps:", "乡镇边界有缺口"),
    ("township overlaps:", "乡镇边界有重叠"),
    ("coordinate system of the", "坐标系可能有误"),
    ("facilities outside the area", "研究区外的机构"),
    ("converted from", "坐标已转换为WGS84"),
    ("detected from the text", "文字编码按内容检测"),
    ("accepted with [checks] accept", "研究已明确接受"),
    ("no supply column given", "未给出供给字段：每个机构计为1，比值为机构数"),
    ("not computed:", "未计算"),
    ("stated figure, not computed here:", "文件所述数字，非本研究计算"),
    ("dispatch delay", "含出车时间"),
    ("floating catchment", "两步移动搜寻法"),
    ("has no column",
     "机构文件缺少此供给字段（各机构床位、医师、急救车等，可取自卫生健康统计年报）"),
    ("on scene", "现场停留时间"),
    ("speed factors", "急救车速度系数"),
    ("time to definitive care", "到达医院时间"),
    ("nobody's nearest", "部分机构不是任何人的最近机构（服务范围中无人归属）"),
    ("their supply counts nowhere", "其供给未计入该指标"),
    ("standards file geo ships", "标准与目标取自geo自带的标准文件（鹿寨县、柳州市规划），"
     "并非本地区规划：请在研究文件旁的standards.toml中注明本地规划出处"),
    ("taken as WGS84", "CGCS2000坐标按WGS84处理（两者相差不足1米）"),
    ("has no id column", "机构文件无编号列，已按文件顺序自动编号"),
    ("facility types read from names", "机构类型按名称识别"),
    ("the header is row", "表头以上各行（标题或空行）不读，从表头行读起"),
    ("population from table", "人口取自乡镇人口表，按面积分配到需求网格"),
    ("counts in 万", "人口数按表头单位（万人）换算为人"),
    ("counts in 千", "人口数按表头单位（千人）换算为人"),
    ("maxspeed not used", "部分道路限速值不可用，按道路等级速度计算"),
    ("are assumed where no facility list exists", "无公开机构名录：机构为按政策假定"),
    ("rounded half up", "比例按四舍五入显示；低于目标（或低于100%）的比例多保留小数位，"
     "不显示为目标值"),
)


_SOURCES: dict[str, tuple[str, str]] = {
    "facilities": ("医疗卫生机构", "facilities"),
    "roads": ("道路", "roads"),
    "study area": ("研究区", "study area"),
    "townships": ("乡镇", "townships"),
    "population": ("人口", "population"),
    "standard": ("标准", "standard"),
}


def source_label(key: str, language: str) -> str:
    """Label of a data-source row (``facilities``, ``roads``, ``standard NAME``, …)."""
    head, _, rest = key.partition(" ")
    if key in _SOURCES:
        return _SOURCES[key][_index(language)]
    if head in _SOURCES and rest:
        return f"{_SOURCES[head][_index(language)]} {rest}"
    return key


def _index(language: str) -> int:
    if language not in LANGUAGES:
        raise ValueError(f"language must be one of {LANGUAGES}, got {language!r}")
    return LANGUAGES.index(language)


def text(key: str, language: str, **fields: object) -> str:
    """Return the label ``key`` in ``language``, with ``{fields}`` filled in."""
    label = _TEXT[key][_index(language)]
    return label.format(**fields) if fields else label


def texts(prefix: str, language: str) -> dict[str, str]:
    """Return every label whose key starts with ``prefix``.

    Labels are keyed by the rest of their key (unfilled ``{fields}`` kept: the page fills them).
    """
    i = _index(language)
    return {k[len(prefix):]: v[i] for k, v in _TEXT.items() if k.startswith(prefix)}


def tier_label(tier: str, language: str) -> str:
    """Name of a facility tier (see :func:`geo.coverage.tiers.tier_of`)."""
    return _TIERS.get(tier, (tier, tier))[_index(language)]


def type_label(facility_type: str, language: str) -> str:
    """Name of a facility type; unknown types read as their code with spaces."""
    pair = TYPE_LABELS.get(facility_type)
    return pair[_index(language)] if pair else facility_type.replace("_", " ")


# "not applicable: no facility of types ['a', 'b'] in this study" (a Python list) or
# "... of type a, b in this study" / "... of type a or b ...": the study's note
_NA = re.compile(r"^not applicable: no facility of types? (.+?) in this study\.?$")


def _type_codes(text: str) -> list[str]:
    if text.startswith("["):
        try:
            return [str(t) for t in ast.literal_eval(text)]
        except (ValueError, SyntaxError):
            return [text]
    return [t for t in re.split(r",\s*|\s+or\s+", text) if t]


def _joined(items: list[str], language: str) -> str:
    if _index(language) == 0:
        return "、".join(items[:-1]) + ("或" if len(items) > 1 else "") + items[-1]
    return ", ".join(items[:-1]) + (" or " if len(items) > 1 else "") + items[-1]


def not_applicable(line: str, language: str) -> str | None:
    """Write a standard's "not applicable" note as a sentence naming the types it lacks.

    ``None`` when ``line`` is not such a note.
    """
    match = _NA.match(line.strip())
    if not match:
        return None
    codes = _type_codes(match.group(1).strip())
    if not codes:
        return None
    labels = [type_label(c, language) for c in codes]
    if _index(language) == 0:
        return f"不适用：本研究区没有{_joined(labels, language)}"
    labels = [n[:1].lower() + n[1:] if n[1:2].islower() else n for n in labels]
    return f"not applicable: this study has no {_joined(labels, language)}"


#: the rules of :data:`geo.coverage.kinds.RULES` in Chinese
_KIND_RULES_ZH = {
    "code": "按12位统计用区划代码第7–9位：001–099街道、100–199镇、200–399乡、400–599其他，"
            "GB/T 10114-2003",
    "name": "按乡镇名称结尾：街道/街道办事处为街道，镇为镇，乡/苏木为乡",
    "code_or_name": "有12位统计用区划代码的乡镇按代码第7–9位：001–099街道、100–199镇、"
                    "200–399乡、400–599其他，GB/T 10114-2003；无代码的按名称结尾：街道/街道办事处"
                    "为街道，镇为镇，乡/苏木为乡",
}
_RULE = "|".join(re.escape(r) for r in KIND_RULES.values())
_SCOPE_ON = re.compile(
    rf"^(\S+): applied to (\S+) townships only \(({_RULE})\): (\d+) of (\d+) townships "
    r"\((.*)\); not applicable to (.*); the whole area's row counts only the townships it "
    r"applies to$")
_SCOPE_NONE = re.compile(rf"^(?:(\S+): )?not applicable: no township of kind (\S+) in this "
                         rf"study \(({_RULE}); the study has (.*)\)$")
_SCOPE_ROW = re.compile(rf"^not applicable: the standard applies to (\S+) townships only "
                        rf"\(({_RULE})\)$")


def _rule_zh(rule: str) -> str:
    return next(_KIND_RULES_ZH[k] for k, v in KIND_RULES.items() if v == rule)


def scope_note(line: str, language: str) -> str | None:
    """Write a line of :mod:`geo.coverage.kinds` (which townships a standard applies to).

    In ``language``; ``None`` when ``line`` is not one.
    """
    text = line.strip()
    on, none, row = _SCOPE_ON.match(text), _SCOPE_NONE.match(text), _SCOPE_ROW.match(text)
    if _index(language) == 1:
        return text if on or none or row else None
    if on:
        std, kinds, rule, n, total, names, off = on.groups()
        off = "无" if off == "none" else "、".join(off.split(", "))
        return (f"{std}：只适用于{kinds}（{_rule_zh(rule)}）：{total}个乡镇中的{n}个"
                f"（{'、'.join(names.split(', '))}）；{off}不适用；全区合计只计所适用的乡镇")
    if none:
        std, kinds, rule, present = none.groups()
        have = "、".join(f"{k}{c}个" for k, c in (p.split(" ") for p in present.split(", ")))
        return (f"{std + '：' if std else ''}不适用：本研究区没有{kinds}（{_rule_zh(rule)}；"
                f"本研究区有{have}）")
    if row:
        kinds, rule = row.groups()
        return f"不适用：该标准只适用于{kinds}（{_rule_zh(rule)}）"
    return None


def scope_applies(line: str, language: str) -> str:
    """Say "只适用于镇（…）" from a row note of :mod:`geo.coverage.kinds`; '' for another line."""
    row = _SCOPE_ROW.match(line.strip())
    if not row:
        return ""
    kinds, rule = row.groups()
    if _index(language) == 1:
        return f"applies to {kinds} townships only ({rule})"
    return f"只适用于{kinds}（{_rule_zh(rule)}）"


def note(line: str, language: str, short: bool = False) -> str:
    """Return an assumption line.

    It has a Chinese gloss first on Chinese pages (``short``: the gloss alone, where there is one);
    a "not applicable" note as a readable sentence in ``language``.
    """
    if (na := not_applicable(line, language)) is not None:
        return na
    if (scoped := scope_note(line, language)) is not None:
        return scoped
    if _index(language) == 1:
        return line
    glosses = [zh for en, zh in _NOTE_GLOSS if en in line]
    if glosses and short:
        return "；".join(glosses)
    return f"{'；'.join(glosses)}（{line}）" if glosses else line


def per_label(per: object, method: object, language: str) -> str:
    """Return "每10,000人" / "per 10,000 people" of a measure's ratios.

    A Hansen potential has no population unit.
    """
    if str(method) == "hansen":
        return text("potential", language)
    return text("per_people", language, per=f"{float(per):,.0f}")  # type: ignore[arg-type]


def standard_label(label: str, label_zh: str, language: str) -> str:
    """Return a standard's label in ``language`` (the other language's label if one is empty)."""
    first, second = (label_zh, label) if _index(language) == 0 else (label, label_zh)
    return str(first or second)


def road_label(road: str, language: str) -> str:
    """Name a road piece in ``language``: "unnamed trunk" reads "未命名道路（OSM 等级 trunk）".

    A road with a name or ref (国道/省道 numbers such as G323) keeps it, in any language.
    """
    text = str(road)
    if _index(language) == 1 or not text.startswith("unnamed "):
        return text
    return f"未命名道路（OSM 等级 {text.removeprefix('unnamed ')}）"


#: travel modes (geo.network.sources.MODES) in Chinese
_MODES_ZH = {"drive": "机动车", "walk": "步行"}

# what geo.planning.scenario and geo.planning.road_changes write in a change's ``detail``,
# per action: the pattern and its Chinese wording
_DETAILS: dict[str, tuple[re.Pattern[str], str]] = {
    "add": (re.compile(r"new (?P<type>\S+)"), "新增{type}"),
    "designate": (re.compile(r"also (?P<type>\S+)"), "兼作{type}"),
    "close": (re.compile(r"closed"), "关闭"),
    "retype": (re.compile(r"(?P<type>\S+) -> (?P<new>\S+)"), "{type} → {new}"),
    "move": (re.compile(r"moved (?P<m>[\d,.]+) m"), "迁移 {m} 米"),
    "close_road": (re.compile(r"closed: (?P<road>.*), (?P<km>[\d,.]+) km \((?P<mode>\w+)\)"),
                   "封闭：{road}，{km} 公里（{mode}）"),
    "slow_road": (re.compile(
        r"speed x (?P<f>[\d.eE+-]+): (?P<road>.*), (?P<km>[\d,.]+) km \((?P<mode>\w+)\)"),
                  "车速乘以 {f}：{road}，{km} 公里（{mode}）"),
}


# what geo.planning.scenario.road_change_label writes as a road action's ``id``
_ROAD_IDS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"roads in a polygon of (?P<n>\d+) corners"), "{n} 个角点的多边形内的道路"),
    (re.compile(r"roads a line of (?P<n>\d+) points crosses"), "{n} 点折线穿过的道路"),
    (re.compile(r"the road nearest (?P<lon>[-\d.]+), (?P<lat>[-\d.]+)"),
     "距经度 {lon}、纬度 {lat} 最近的道路"),
    (re.compile(r"roads in (?P<what>.+)"), "{what} 范围内的道路"),
    (re.compile(r"road (?P<what>.+)"), "道路 {what}"),
    (re.compile(r"way (?P<what>.+)"), "OSM 路段 {what}"),
)


def road_change_id(label: str, language: str) -> str:
    """Say what a ``close_road`` or ``slow_road`` names (its change's ``id``) in ``language``.

    "roads in luzhai_flood.geojson" reads "luzhai_flood.geojson 范围内的道路", "road G323"
    "道路 G323", "the road nearest 109.70000, 24.60000" "距经度 109.70000、纬度 24.60000
    最近的道路"; a label of another shape is kept as written.
    """
    text = str(label)
    if _index(language) == 1:
        return text
    for pattern, zh in _ROAD_IDS:
        match = pattern.fullmatch(text)
        if match is not None:
            return zh.format(**match.groupdict())
    return text


def change_detail(action: str, detail: str, language: str) -> str:
    """Say a scenario change's ``detail`` (as ``geo compare`` writes it) in ``language``.

    "moved 1,200 m" reads "迁移 1,200 米", "new township_health_center"
    "新增乡镇卫生院", "closed: unnamed trunk, 17.8 km (drive)"
    "封闭：未命名道路（OSM 等级 trunk），17.8 公里（机动车）"; a detail of another
    shape (a new road's name, a reason) is kept as written.
    """
    text = str(detail)
    shape = _DETAILS.get(str(action))
    if shape is None or _index(language) == 1:
        return text
    match = shape[0].fullmatch(text)
    if match is None:
        return text
    parts = match.groupdict()
    for key in ("type", "new"):
        if key in parts:
            parts[key] = type_label(parts[key], language)
    if "road" in parts:
        parts["road"] = road_label(parts["road"], language)
    if "mode" in parts:
        parts["mode"] = _MODES_ZH.get(parts["mode"], parts["mode"])
    return shape[1].format(**parts)


#: the output columns a title is known for (GIS field aliases, map tooltips), and its key
_COLUMN_KEYS = {
    "township": "township", "population": "population", "name": "name", "name_en": "name_en",
    "type": "type", "grade": "grade", "id": "id", "tier": "tier", "lon": "lon", "lat": "lat",
    "location_quality": "location_quality", "minutes": "threshold", "band": "gis_band",
    "rank": "rank", "newly_covered_population": "newly_covered",
    "cumulative_covered_share": "cumulative_share", "covered_before": "covered_before",
    "covered_after": "covered_after", "newly_covered": "newly_covered",
    "share_before": "share_before", "share_after": "share_after", "target_share": "target",
    "covered_population_before": "covered_before", "covered_population_after": "covered_after",
    "covered_population_change": "covered_change", "covered_share_before": "share_before",
    "covered_share_after": "share_after", "covered_share_change": "share_change",
    "median_minutes_before": "median_before", "median_minutes_after": "median_after",
    "median_minutes_change": "median_change", "status_after": "status_after",
    "status": "gis_area_status", "area_name": "gis_area_name", "area_id": "id",
    "action": "action", "project": "project", "detail": "detail", "note": "note",
    "standard": "standard", "covered_population": "covered_population",
    "covered_share": "covered_share", "meets_target": "status", "median_minutes": "median",
    "p90_minutes": "p90", "max_minutes": "worst", "worst_township": "worst_township",
    "townships_failing": "failing", "citation": "source_doc", "measure": "measure",
    "method": "method", "ratio": "ratio", "supply": "supply",
    "supply_reached": "supply_reached", "catchment_population": "catchment_population",
    "catchment_ratio": "catchment_ratio", "served_population": "served_population",
    "served_ratio": "served_ratio", "share_within": "share_within",
    "target_minutes": "target_minutes", "unreached": "unreached", "notes": "notes",
    "layer": "gis_layer_file", "kind": "gis_hazard_kind", "rule": "hazard_rule",
    "change": "gis_road_change", "road": "road", "highway": "gis_road_class",
    "length_m": "gis_length_m", "mode": "gis_mode",
}


def column_titles(columns: Iterable[str], language: str) -> dict[str, str]:
    """Title the known ``columns`` in ``language`` (a GeoPackage's field aliases, a map's tips)."""
    return {c: text(_COLUMN_KEYS[c], language) for c in columns if c in _COLUMN_KEYS}
