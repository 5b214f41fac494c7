/* The planner's workbench page (geo serve): plain JavaScript on vendored Leaflet.
 *
 * Loads /api/layers (what never changes: area, townships, cells, types, standards, labels)
 * and /api/state (facilities, bands per standard, tables, history, version) once; every
 * edit then answers with what changed (facilities touched, the changed cells' bands, the
 * tables), applied here.
 *
 * The page's state model (S): what the server said (fac, bands, tables, history,
 * proposals, scenario, version) and what the planner looks at (view: the standard shown,
 * later a population group). Every edit is one entry of EDITS (its path and how the
 * changes list names it) and goes through send(), which adds the server version the page
 * has seen: an edit made on an out-of-date page is refused (409) and the page offers to
 * reload. Long work (suggestions, exports) runs as a server job: started, polled with
 * its stage, cancellable. Errors are the server's messages in the page's language, shown
 * above the tools; a refused request changes nothing.
 */
(function () {
  "use strict";

  //: the edits the page makes: path, and the label of its kind in the changes list
  var EDITS = {
    add: "/api/add", move: "/api/move", close: "/api/close", retype: "/api/retype",
    designate: "/api/designate", undo: "/api/undo", redo: "/api/redo", undo_to: "/api/undo_to",
    accept: "/api/accept", reject: "/api/reject", load: "/api/scenario", close_road: "/api/close_road"
  };

  var S = {
    layers: null, view: {std: null, group: ""}, std: null, group: "", groupTables: {}, fac: {}, bands: {}, tables: {}, proposals: [],
    suggestNotes: {}, history: {}, scenario: {}, serverVersion: 0,
    map: null, cells: [], townLayer: null, facLayer: null, propLayer: null, bandLayer: null,
    mode: null, busy: false, pending: 0, queue: Promise.resolve(), version: 0, job: null,
    refused: null
  };
  var $ = function (id) { return document.getElementById(id); };
  window.geoWorkbench = S;  // the page's state, for scripts and the browser tests

  function L_(key, fields) {
    var text = (S.layers && S.layers.labels[key]) || key;
    Object.keys(fields || {}).forEach(function (k) {
      text = text.split("{" + k + "}").join(String(fields[k]));
    });
    return text;
  }

  function esc(s) {
    return String(s).replace(/[&<>"']/g, function (c) {
      return {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;"}[c];
    });
  }

  // ------------------------------------------------------------------ requests

  function api(method, path, body) {
    var opts = {method: method, headers: {}, credentials: "same-origin"};
    if (body !== undefined) {
      opts.headers["Content-Type"] = "application/json";
      opts.body = JSON.stringify(body);
    }
    return fetch(path, opts).then(function (r) {
      return r.json().then(function (j) {
        if (!r.ok) {
          var e = new Error(j.message || j.error || r.statusText);
          e.status = r.status; e.body = j;
          throw e;
        }
        return j;
      });
    });
  }

  function showError(message) {
    $("error-text").textContent = message;
    $("error").hidden = false;
    document.body.dataset.errors = String(Number(document.body.dataset.errors || 0) + 1);
  }

  function busy(delta) {
    S.pending += delta;
    S.busy = S.pending > 0;
    $("msg").classList.toggle("busy", S.busy);
    if (S.busy) { $("msg").textContent = L_("busy"); }
    else if ($("msg").textContent === L_("busy")) { $("msg").textContent = ""; }
  }

  function stale(message) {
    $("stale-text").textContent = L_("stale") + " " + message;
    $("stale").hidden = false;
    document.body.dataset.stale = "1";
  }

  // requests go one after another, in the order the planner made them (none is dropped);
  // an edit carries the server version the page has seen when it is sent
  function send(method, path, body, then) {
    busy(1);
    S.queue = S.queue.then(function () {
      var b = body;
      if (b !== undefined && b !== null && method === "POST") {
        b = L.extend({}, b, {version: S.serverVersion});
      }
      return api(method, path, b).then(function (res) {
        busy(-1);
        $("error").hidden = true;
        $("outside").hidden = true;
        (then || applyUpdate)(res);
        return res;
      }).catch(function (e) {
        busy(-1);
        if (e.status === 409) { stale(e.message); }
        else if (e.body && /outside the study area/.test(e.body.error || "") &&
                 (path === EDITS.add || path === EDITS.move)) {
          askOutside(e.message, method, path, body, then);
        } else { showError(e.message); }
        refreshMarkers();  // a refused drag goes back to where the facility is
        return null;
      });
    });
    return S.queue;
  }

  // a place outside the study area: refused, unless the planner keeps it there on purpose
  function askOutside(message, method, path, body, then) {
    S.refused = {method: method, path: path, body: L.extend({}, body, {outside: true}), then: then};
    $("outside-text").textContent = message;
    $("outside").hidden = false;
  }

  // ------------------------------------------------------------------ jobs

  function runJob(path, body, done) {
    busy(1);
    return api("POST", path, body).then(function (st) {
      busy(-1);
      S.job = st;
      $("job").hidden = false;
      jobStatus(st);
      return pollJob(st.id, done);
    }).catch(function (e) { busy(-1); showError(e.message); });
  }

  function jobStatus(st) {
    var stage = {candidates: L_("job_candidates"), reach: L_("job_reach"), solving: L_("job_solving"),
                 alternatives: L_("job_alternatives"), comparing: L_("job_comparing"),
                 writing: L_("job_writing"), start: L_("job_start")}[st.stage] || st.stage;
    $("job-text").textContent = stage + " · " + L_("elapsed", {s: st.elapsed_s.toFixed(1)});
    $("job-bar").value = st.fraction;
    document.body.dataset.job = st.state;
  }

  function pollJob(id, done) {
    return new Promise(function (resolve) {
      function tick() {
        api("GET", "/api/job?id=" + id).then(function (st) {
          if (!S.job || S.job.id !== id) { resolve(null); return; }
          jobStatus(st);
          if (st.state === "running") { setTimeout(tick, 120); return; }
          $("job").hidden = true;
          S.job = null;
          if (st.state === "done") { done(st.result); }
          else if (st.state === "failed") { showError(st.message || st.error); }
          else { $("msg").textContent = L_("cancelled"); }
          resolve(st);
        }).catch(function (e) { showError(e.message); resolve(null); });
      }
      setTimeout(tick, 60);
    });
  }

  function cancelJob() {
    if (!S.job) { return; }
    var id = S.job.id;
    S.job = null;
    $("job").hidden = true;
    document.body.dataset.job = "cancelled";
    $("msg").textContent = L_("cancelled");
    api("POST", "/api/job/cancel", {id: id}).catch(function () { return null; });
  }

  // ------------------------------------------------------------------ colours

  function shareColour(share, target) {
    var c = S.layers.colours;
    if (share >= target - 1e-9) { return c.pass; }
    var ramp = c.ramp, x = Math.min(Math.max(share / target, 0), 1) * (ramp.length - 1);
    var i = Math.min(Math.floor(x), ramp.length - 2), a = ramp[i], b = ramp[i + 1], out = "#";
    [1, 3, 5].forEach(function (k) {
      var v = Math.round(parseInt(a.substr(k, 2), 16) * (i + 1 - x) +
                         parseInt(b.substr(k, 2), 16) * (x - i));
      out += ("0" + v.toString(16)).slice(-2);
    });
    return out;
  }

  function townStyle(row, target) {
    var c = S.layers.colours;
    if (!row || row.share === null) {
      return {fillColor: c.na, fillOpacity: 0.55, color: "#777", weight: 1};
    }
    if (row.meets === false) {
      return {fillColor: shareColour(Math.min(row.share, target - 1e-6), target), fillOpacity: 0.55,
              color: c.fail, weight: 4};
    }
    return {fillColor: shareColour(Math.max(row.share, target), target), fillOpacity: 0.55,
            color: "#4d4d4d", weight: 1};
  }

  function bandStyle(code) {
    if (code < 0) { return {fillOpacity: 0, fillColor: "#000"}; }
    return {fillOpacity: 0.6, fillColor: S.layers.bands.colours[code]};
  }

  // ------------------------------------------------------------------ map

  function northArrow() {
    var c = L.control({position: "topleft"});
    c.onAdd = function () {
      var d = L.DomUtil.create("div", "wb-north");
      d.innerHTML = '<svg width="26" height="38" viewBox="0 0 26 38"><path d="M13 2 L23 26 L13 20 L3 26 Z" ' +
        'fill="#222" stroke="#fff" stroke-width="1"/><text x="13" y="37" text-anchor="middle" ' +
        'font-size="11" font-weight="bold" fill="#222">' + esc(L_("north")) + "</text></svg>";
      return d;
    };
    return c;
  }

  function buildMap() {
    var lay = S.layers;
    var map = S.map = L.map("map", {zoomSnap: 0.25});
    var osm = L.tileLayer("https://tile.openstreetmap.org/{z}/{x}/{y}.png", {
      maxZoom: 19, attribution: "© OpenStreetMap contributors"});
    var blank = L.tileLayer("data:image/gif;base64,R0lGODlhAQABAIAAAP///wAAACH5BAEAAAAALAAAAAABAAEAAAICRAEAOw==",
                            {attribution: "© OpenStreetMap contributors"});
    osm.addTo(map);
    map.fitBounds(lay.bounds);
    L.control.scale({metric: true, imperial: false, maxWidth: 160}).addTo(map);
    northArrow().addTo(map);
    var renderer = L.canvas({padding: 0.2});
    S.bandLayer = L.layerGroup();
    S.cells = lay.cells.data.map(function (d) {
      var opts = {renderer: renderer, stroke: false, interactive: false, fillOpacity: 0};
      var shape = lay.cells.kind === "box" ? L.rectangle([[d[1], d[0]], [d[3], d[2]]], opts)
                                           : L.circleMarker([d[1], d[0]], L.extend(opts, {radius: 3}));
      S.bandLayer.addLayer(shape);
      return shape;
    });
    S.townLayer = L.geoJSON(lay.townships, {
      style: function () { return {className: "wb-town"}; },
      onEachFeature: function (f, layer) {
        layer.bindTooltip(function () { return townTip(f.properties.township); }, {sticky: true});
      }
    }).addTo(map);
    L.geoJSON(lay.area, {interactive: false,
      style: {color: "#222", weight: 2.5, fill: false, dashArray: "6 4", className: "wb-boundary"}}).addTo(map);
    var names = L.layerGroup(lay.names.map(function (p) {
      return L.marker([p.lat, p.lon], {interactive: false, keyboard: false, icon: L.divIcon({
        className: "wb-label", iconSize: [0, 0], html: "<div>" + esc(p.name) + "</div>"})});
    })).addTo(map);
    S.legLayer = L.layerGroup().addTo(map);
    S.facLayer = L.layerGroup().addTo(map);
    S.propLayer = L.layerGroup().addTo(map);
    S.roadLayer = L.layerGroup().addTo(map);
    var overlays = {};
    overlays[L_("townships_layer")] = S.townLayer;
    overlays[L_("bands_layer")] = S.bandLayer;
    overlays[L_("names_layer")] = names;
    overlays[L_("facilities_layer")] = S.facLayer;
    var bases = {"OpenStreetMap": osm};
    bases[L_("no_basemap")] = blank;
    L.control.layers(bases, overlays, {collapsed: false, position: "topright"}).addTo(map);
    legend();
    map.on("click", onMapClick);
  }

  function legend() {
    var b = S.layers.bands, c = S.layers.colours;
    var html = '<span class="wb-sw" style="background:' + c.pass + '"></span>' + esc(L_("meets")) +
      ' <span class="wb-sw" style="background:' + c.ramp[2] + ";outline:2px solid " + c.fail + '"></span>' +
      esc(L_("fails")) + " · " + esc(L_("bands_layer")) + " (" + esc(L_("minutes")) + "): ";
    b.labels.forEach(function (lab, i) {
      html += '<span class="wb-sw" style="background:' + b.colours[i] + '"></span>' + esc(lab) + " ";
    });
    $("legend").innerHTML = html;
    var box = L.control({position: "bottomleft"});
    box.onAdd = function () {
      var d = L.DomUtil.create("div", "wb-legend wb-type-legend");
      d.id = "type-legend";
      L.DomEvent.disableClickPropagation(d);
      return d;
    };
    box.addTo(S.map);
  }

  // the facility markers: one entry per type on the map (colour and letter: two types may
  // share a letter, never a colour), and what rings and crosses mean
  function typeLegend() {
    var present = {};
    Object.keys(S.fac).forEach(function (id) { present[S.fac[id].type] = true; });
    var types = "<b>" + esc(L_("legend_types")) + "</b> ";
    S.layers.types.forEach(function (t) {
      if (!present[t.code]) { return; }
      types += '<span class="wb-lt" data-type="' + esc(t.code) + '"><span class="wb-icon-legend" style="background:' +
        t.colour + '">' + esc(t.glyph) + "</span>" + esc(t.label) + "</span> ";
    });
    types += '<br><span class="wb-lt"><span class="wb-icon-legend wb-new-ring">·</span>' + esc(L_("legend_new")) +
      '</span> <span class="wb-lt"><span class="wb-icon-legend wb-closed-icon">✕</span>' +
      esc(L_("legend_closed")) + '</span> <span class="wb-lt"><span class="wb-icon-legend wb-outside-ring">·</span>' +
      esc(L_("legend_outside")) + "</span><br>" + esc(L_("legend_spread"));
    $("type-legend").innerHTML = types;
  }

  // a standard's table, or the chosen population group's rows of it (group selector), of
  // the present state (tables, groups) or of one side of a side by side
  function tableOf(tables, groups, std) {
    var g = S.group && groups ? groups[S.group] : null;
    return g ? g[std] : tables[std];
  }

  function shownTable(std) { return tableOf(S.tables, S.groupTables, std || S.std); }

  function groupLabel() {
    var label = "";
    (S.layers.groups || []).forEach(function (g) { if (g.name === S.group) { label = g.label; } });
    return label;
  }

  function townRow(name) {
    var t = shownTable(), row = null;
    (t ? t.rows : []).forEach(function (r) { if (r.township === name) { row = r; } });
    return row;
  }

  function townTip(name) {
    var row = townRow(name);
    if (!row) { return esc(name); }
    return "<b>" + esc(name) + "</b><br>" + esc(L_("population")) + " " + fmtInt(row.population) +
      "<br>" + esc(L_("covered_population")) + " " + fmtInt(row.covered) + " (" + fmtShare(row.share) + ")" +
      "<br>" + esc(L_("median")) + " " + fmtMin(row.median);
  }

  function ringOffsets(n) {
    if (n === 1) { return [[0, 0]]; }
    var r = Math.max(14, Math.ceil(n * 20 / (2 * Math.PI))), out = [];
    for (var i = 0; i < n; i++) {
      var a = 2 * Math.PI * i / n - Math.PI / 2;
      out.push([Math.round(r * Math.cos(a)), Math.round(r * Math.sin(a))]);
    }
    return out;
  }

  function typeInfo(code) {
    var found = null;
    S.layers.types.forEach(function (t) { if (t.code === code) { found = t; } });
    return found || {code: code, label: code, colour: "#555", glyph: "?"};
  }

  // the place a marker drawn (dx, dy) pixels off its facility's spot was released at:
  // the icon's centre, not the marker's own point (co-located facilities are spread)
  function releasedAt(m, dx, dy) {
    var p = S.map.latLngToContainerPoint(m.getLatLng());
    return S.map.containerPointToLatLng(L.point(p.x + dx, p.y + dy));
  }

  function refreshMarkers() {
    if (!S.facLayer) { return; }
    typeLegend();
    S.facLayer.clearLayers();
    S.legLayer.clearLayers();
    var groups = {};
    Object.keys(S.fac).forEach(function (id) {
      var f = S.fac[id];
      var key = f.lon.toFixed(7) + "," + f.lat.toFixed(7);
      (groups[key] = groups[key] || []).push(f);
    });
    Object.keys(groups).forEach(function (key) {
      var group = groups[key].sort(function (a, b) {
        return (a.open === b.open) ? (a.id < b.id ? -1 : 1) : (a.open ? -1 : 1); });
      var offs = ringOffsets(group.length);
      group.forEach(function (f, i) {
        var t = typeInfo(f.type), dx = offs[i][0], dy = offs[i][1];
        var cls = f.open ? "wb-icon" : "wb-icon wb-closed-icon";
        var icon = L.divIcon({
          className: "wb-facility" + (f.new ? " new" : "") + (f.outside ? " outside" : "") +
                     (f.open ? "" : " closed"),
          iconSize: [18, 18], iconAnchor: [9 - dx, 9 - dy], popupAnchor: [dx, dy - 9],
          html: '<div class="' + cls + '" data-id="' + esc(f.id) + '" data-dx="' + dx + '" data-dy="' + dy +
                '" style="background:' + (f.open ? t.colour : "#999") + '">' + (f.open ? esc(t.glyph) : "✕") + "</div>"});
        var m = L.marker([f.lat, f.lon], {icon: icon, draggable: f.open, autoPan: false,
                                          zIndexOffset: f.open ? 0 : -500});
        m.bindTooltip(esc(f.name) + " · " + esc(t.label) + (f.open ? "" : " · " + esc(L_("kind_close"))) +
                      (f.outside ? " · " + esc(L_("outside_mark")) : ""));
        if (dx || dy) {  // a thin line from the spot to the spread marker
          var a = S.map.latLngToContainerPoint([f.lat, f.lon]);
          S.legLayer.addLayer(L.polyline([[f.lat, f.lon], S.map.containerPointToLatLng(L.point(a.x + dx, a.y + dy))],
                                         {weight: 1, color: "#333", opacity: 0.7, interactive: false}));
        }
        if (f.open) {
          m.on("dragend", function () {
            var p = releasedAt(m, dx, dy);
            send("POST", EDITS.move, {id: f.id, lon: p.lng, lat: p.lat});
          });
          m.on("click", function () { openPopup(f, m); });
        }
        S.facLayer.addLayer(m);
      });
    });
  }

  function typeSelect(codes, chosen) {
    var sel = document.createElement("select");
    codes.forEach(function (c) {
      var o = document.createElement("option");
      o.value = c; o.textContent = typeInfo(c).label + " (" + c + ")";
      if (c === chosen) { o.selected = true; }
      sel.appendChild(o);
    });
    return sel;
  }

  function openPopup(f, marker) {
    var div = document.createElement("div");
    div.className = "wb-popup";
    var head = document.createElement("div");
    head.innerHTML = "<b>" + esc(f.name) + "</b><br>" + esc(typeInfo(f.type).label) + " · " + esc(f.id) +
      (f.outside ? " · " + esc(L_("outside_mark")) : "");
    div.appendChild(head);
    var codes = S.layers.types.map(function (t) { return t.code; });
    var close = document.createElement("button");
    close.textContent = L_("close"); close.className = "wb-close";
    close.onclick = function () { S.map.closePopup(); send("POST", EDITS.close, {id: f.id}); };
    var r1 = document.createElement("div"); r1.className = "row"; r1.appendChild(close);
    var r2 = document.createElement("div"); r2.className = "row";
    var retype = typeSelect(codes, f.type); retype.className = "wb-retype-type";
    var go2 = document.createElement("button"); go2.textContent = L_("apply"); go2.className = "wb-retype";
    go2.onclick = function () { S.map.closePopup(); send("POST", EDITS.retype, {id: f.id, type: retype.value}); };
    r2.appendChild(document.createTextNode(L_("retype") + " ")); r2.appendChild(retype); r2.appendChild(go2);
    var r3 = document.createElement("div"); r3.className = "row";
    var role = typeSelect(codes, codes.indexOf("ems_station") >= 0 ? "ems_station" : codes[0]);
    role.className = "wb-designate-role";
    var go3 = document.createElement("button"); go3.textContent = L_("apply"); go3.className = "wb-designate";
    go3.onclick = function () { S.map.closePopup(); send("POST", EDITS.designate, {id: f.id, role: role.value}); };
    r3.appendChild(document.createTextNode(L_("designate") + " ")); r3.appendChild(role); r3.appendChild(go3);
    [r1, r2, r3].forEach(function (r) { div.appendChild(r); });
    var at = marker.getLatLng();
    L.popup({maxWidth: 420}).setLatLng(at).setContent(div).openOn(S.map);
  }

  function onMapClick(e) {
    if (S.mode === "road") {  // the stretch of road nearest the click closes
      S.clickAt = e.originalEvent ? e.originalEvent.timeStamp : performance.now();
      setMode(null);
      send("POST", EDITS.close_road, {lon: e.latlng.lng, lat: e.latlng.lat});
      return;
    }
    if (S.mode !== "add") { spotInfo(e.latlng); return; }
    S.clickAt = e.originalEvent ? e.originalEvent.timeStamp : performance.now();
    setMode(null);
    send("POST", EDITS.add, {type: $("add-type").value, lon: e.latlng.lng, lat: e.latlng.lat});
  }

  // a click on the map (not adding): the township's people and covered share, and from
  // this spot the minutes to the nearest facility of each standard
  function spotInfo(latlng) {
    api("GET", "/api/spot?lon=" + latlng.lng + "&lat=" + latlng.lat).then(function (sp) {
      var html = '<div class="wb-spot"><b>' + esc(L_("spot")) + "</b>";
      if (sp.township) {
        var cur = sp.standards[S.std];
        html += "<br><b>" + esc(sp.township) + "</b> · " + esc(L_("population")) + " " + fmtInt(cur.population) +
          " · " + esc(L_("covered_population")) + " " + fmtInt(cur.covered) + " (" + fmtShare(cur.share) + ")";
      }
      if (sp.outside_km > 1) { html += "<br>" + esc(L_("spot_outside", {km: sp.outside_km})); }
      html += "<table>";
      S.layers.standards.forEach(function (s) {
        var x = sp.standards[s.name];
        var what = x.minutes === null ? L_("spot_none") :
          L_("spot_minutes", {minutes: x.minutes.toFixed(1), name: x.facility_name});
        html += '<tr' + (s.name === S.std ? ' class="cur"' : "") + "><td>" + esc(s.label) + "</td><td>" +
          esc(what) + "</td></tr>";
      });
      html += "</table></div>";
      L.popup({maxWidth: 460, className: "wb-spot-popup"}).setLatLng(latlng).setContent(html).openOn(S.map);
      document.body.dataset.spot = String(Number(document.body.dataset.spot || 0) + 1);
    }).catch(function (e) { showError(e.message); });
  }

  function setMode(mode) {
    S.mode = mode;
    $("map").classList.toggle("adding", mode === "add" || mode === "road");
    $("add-btn").classList.toggle("on", mode === "add");
    $("road-btn").classList.toggle("on", mode === "road");
    $("msg").textContent = mode === "add" ? L_("adding") : mode === "road" ? L_("closing_road") : "";
  }

  // roads closed or slowed: drawn on the map, listed with what each did and
  // which places joined another road
  function drawRoads(r) {
    r = r || {changes: [], notes: []};
    S.roadLayer.clearLayers();
    r.changes.forEach(function (c) {
      var lines = c.lines.map(function (l) { return [[l[0][1], l[0][0]], [l[1][1], l[1][0]]]; });
      // black (the townships' borders are red and blue), dashed where only slowed
      L.polyline(lines, {color: "#111", weight: 5, opacity: 0.9, className: "wb-closed-road",
                         dashArray: c.action === "slow_road" ? "6 6" : null, interactive: false}).addTo(S.roadLayer);
    });
    $("roads-box").hidden = !r.changes.length;
    $("roads-count").textContent = String(r.changes.length);
    $("roads-list").innerHTML = r.changes.map(function (c) { return "<li>" + esc(c.shown || c.detail) + "</li>"; }).join("");
    $("road-notes").innerHTML = (r.shown || r.notes).map(function (n) { return '<li class="wb-road-note">' + esc(n) + "</li>"; }).join("");
  }

  function drawProposals() {
    S.propLayer.clearLayers();
    var list = $("proposals");
    list.innerHTML = "";
    S.proposals.forEach(function (p) {
      var li = document.createElement("li");
      li.className = "wb-prop";
      li.dataset.key = p.key;
      li.appendChild(document.createTextNode(L_("proposal", {rank: p.rank}) + " · " + p.township + " · +" +
        fmtInt(p.newly_covered) + " " + L_("people") + " → " + fmtShare(p.cumulative_share) + " "));
      [["accept", EDITS.accept], ["reject", EDITS.reject]].forEach(function (a) {
        var b = document.createElement("button");
        b.textContent = L_(a[0]); b.className = "wb-" + a[0];
        b.onclick = function () {
          send("POST", a[1], {key: p.key}, function (res) {
            S.proposals = res.proposals; drawProposals();
            if (res.kind === "update") { applyUpdate(res); } else { S.serverVersion = res.version; }
          });
        };
        li.appendChild(b);
      });
      list.appendChild(li);
      L.marker([p.lat, p.lon], {interactive: false, icon: L.divIcon({
        className: "wb-proposal", iconSize: [22, 22], html: "<div>" + p.rank + "</div>"})}).addTo(S.propLayer);
    });
    drawSuggestNotes();
  }

  // what the solver said: LSCP's sites needed vs asked, status, alternatives, its notes
  function drawSuggestNotes() {
    var n = S.suggestNotes || {}, box = $("suggest-notes");
    if (!n.model || !S.proposals.length && n.model !== "lscp") { box.innerHTML = ""; return; }
    var lines = [];
    if (n.model === "lscp") {
      lines.push('<li class="wb-lscp">' + esc(L_("lscp_sites", {sites: n.sites, target: fmtShare(n.target),
                                                                 asked: n.asked})) + "</li>");
    }
    lines.push("<li>" + esc(L_("solver", {status: n.status, method: n.method})) + "</li>");
    (n.notes || []).forEach(function (t) { lines.push('<li class="wb-solver-note">' + esc(t) + "</li>"); });
    box.innerHTML = lines.join("");
  }

  // ------------------------------------------------------------------ panel

  function fmtInt(v) { return v === null || v === undefined ? "–" : Math.round(v).toLocaleString("en-US"); }
  function fmtShare(v) { return v === null || v === undefined ? "–" : (v * 100).toFixed(1) + "%"; }
  function fmtMin(v) { return v === null || v === undefined ? "–" : v.toFixed(1); }
  function fmtSigned(v, f) {
    if (v === null || v === undefined) { return "–"; }
    return (v > 0 ? "+" : "") + f(v);
  }

  function stdInfo(name) {
    var std = null;
    S.layers.standards.forEach(function (s) { if (s.name === name) { std = s; } });
    return std;
  }

  function buildPanel() {
    var lay = S.layers;
    document.title = L_("title") + " · " + lay.title;
    $("title").textContent = L_("title") + " · " + lay.title;
    document.querySelectorAll("[data-l]").forEach(function (el) { el.textContent = L_(el.dataset.l); });
    var notes = lay.assumptions || [];  // what the numbers rest on, as every output says
    $("assumptions").querySelector("summary").textContent = L_("assumptions") + " (" + notes.length + ")";
    $("assumptions").querySelector("ul").innerHTML = notes.map(function (n) {
      return "<li>" + esc(n) + "</li>"; }).join("");
    var list = $("standard-list");
    lay.standards.forEach(function (s) {
      var lab = document.createElement("label"), r = document.createElement("input");
      r.type = "radio"; r.name = "std"; r.value = s.name;
      r.onchange = function () { showStandard(s.name); };
      lab.appendChild(r);
      lab.appendChild(document.createTextNode(" " + s.label + " (" + s.name + ", " + s.minutes + " " +
                                              L_("minutes") + ", "));
      var tg = document.createElement("span");
      tg.className = "wb-target"; tg.textContent = L_("target_short", {share: fmtShare(s.target)});
      lab.appendChild(tg);
      lab.appendChild(document.createTextNode(")"));
      if (s.scope_short) {  // a standard limited to township kinds: which, and the rule
        var sc = document.createElement("span");
        sc.className = "wb-target"; sc.textContent = " · " + s.scope_short; lab.title = s.scope;
        lab.appendChild(sc);
      }
      list.appendChild(lab);
    });
    if ((lay.groups || []).length) {  // population groups: whose people the table counts
      var gl = document.createElement("label"), sel = document.createElement("select");
      gl.id = "group-box";
      sel.id = "group-select";
      lay.groups.forEach(function (g) {
        var o = document.createElement("option");
        o.value = g.name; o.textContent = g.label;
        sel.appendChild(o);
      });
      sel.onchange = function () { showGroup(sel.value); };
      gl.appendChild(document.createTextNode(L_("group") + " "));
      gl.appendChild(sel);
      list.parentNode.appendChild(gl);
    }
    var codes = lay.types.map(function (t) { return t.code; });
    var add = typeSelect(codes, codes[0]);
    add.id = "add-type";
    add.onchange = function () { S.addChosen = true; markAddTypes(); };
    $("add-type").replaceWith(add);
    $("add-btn").onclick = function () { setMode(S.mode === "add" ? null : "add"); };
    $("road-btn").onclick = function () { setMode(S.mode === "road" ? null : "road"); };
    $("undo").onclick = function (e) { S.clickAt = e.timeStamp; send("POST", EDITS.undo, {}); };
    $("redo").onclick = function (e) { S.clickAt = e.timeStamp; send("POST", EDITS.redo, {}); };
    $("error-close").onclick = function () { $("error").hidden = true; };
    $("reload").onclick = function () { window.location.reload(); };
    $("outside-keep").onclick = function () {
      var r = S.refused; S.refused = null; $("outside").hidden = true;
      if (r) { send(r.method, r.path, r.body, r.then); }
    };
    $("outside-cancel").onclick = function () { S.refused = null; $("outside").hidden = true; };
    $("job-cancel").onclick = cancelJob;
    $("suggest-btn").onclick = function () {
      runJob("/api/suggest", {standard: S.std, k: Number($("k").value), model: $("model").value,
                              type: $("suggest-type").value || null}, function (res) {
        S.proposals = res.proposals; S.suggestNotes = res.suggest_notes; S.serverVersion = res.version;
        drawProposals();
      });
    };
    $("model").onchange = function () { $("k-label").classList.toggle("unused", $("model").value === "lscp"); };
    $("scenario-name").oninput = saveLink;
    $("load").onchange = function (e) {
      var file = e.target.files[0];
      if (!file) { return; }
      file.text().then(function (text) {
        send("POST", EDITS.load, {text: text, filename: file.name}, function (res) {
          applyState(res);
          $("msg").textContent = L_("loaded", {name: (res.scenario || {}).name || file.name});
        });
        e.target.value = "";
      });
    };
    $("export").disabled = !lay.export;
    $("export").onclick = function () {
      runJob("/api/export", {name: $("scenario-name").value || "workbench"}, function (res) {
        var same = res.differences.length ? L_("differs", {rows: res.differences.slice(0, 3).join("; ")})
                                          : L_("same");
        $("msg").textContent = L_("exported", {folder: res.folder, same: same});
        $("export-box").hidden = false;
        $("export-folder").textContent = L_("export_done", {folder: res.folder});
        $("export-command").textContent = res.command;
        if (res.differences.length) { showError($("msg").textContent); }
      });
    };
    $("search").oninput = function () { findTown(false); };
    $("search").onkeydown = function (e) { if (e.key === "Enter") { findTown(true); } };
    var dl = $("towns");
    S.layers.townships.features.forEach(function (f) {
      var o = document.createElement("option"); o.value = f.properties.township; dl.appendChild(o);
    });
    $("print").onclick = function () { window.print(); };
    $("png").onclick = exportPng;
    $("side-btn").onclick = sideBySide;
    $("side-close").onclick = function () { $("side").hidden = true; };
    window.addEventListener("beforeprint", function () { stampDate(); S.map.invalidateSize(); });
    window.addEventListener("afterprint", function () { S.map.invalidateSize(); });
    document.addEventListener("keydown", function (e) {
      if (e.key === "Escape") { setMode(null); S.map.closePopup(); }
      var tag = (e.target.tagName || "").toLowerCase();
      if (!(e.ctrlKey || e.metaKey) || tag === "input" || tag === "select") { return; }
      if (e.key === "z" && !e.shiftKey) { e.preventDefault(); send("POST", EDITS.undo, {}); }
      if (e.key === "y" || (e.key === "Z" && e.shiftKey)) { e.preventDefault(); send("POST", EDITS.redo, {}); }
    });
    var head = ["township", "population", "covered_population", "share", "share_change", "median",
                "gained", "lost", "status"];
    $("table").tHead.innerHTML = "<tr>" + head.map(function (k) {
      return "<th>" + esc(k === "status" ? L_("target") : L_(k)) + "</th>"; }).join("") + "</tr>";
    saveLink();
  }

  function findTown(zoom) {
    var q = $("search").value.trim(), hit = null, part = null;
    if (!q) { return; }
    // pinyin: the initials or the syllables, from their start ("lzz", "luzhai" find 鹿寨镇)
    var py = /^[A-Za-z]+$/.test(q) ? q.toLowerCase() : null;
    S.townLayer.eachLayer(function (layer) {
      var p = layer.feature.properties, name = p.township;
      var keys = py ? String(p.pinyin || "").split(" ") : [];
      var whole = name === q || keys.indexOf(py) >= 0;
      var starts = keys.some(function (k) { return k.indexOf(py) === 0; });
      if (!hit && whole) { hit = layer; }
      if (!part && (name.indexOf(q) >= 0 || starts)) { part = layer; }
    });
    if (!hit && zoom) { hit = part; }
    if (!hit && py && part) { hit = part; }
    if (!hit) {
      if (zoom) { $("msg").textContent = L_("search_none", {q: q}); }
      return;
    }
    S.map.fitBounds(hit.getBounds(), {padding: [20, 20]});
    hit.setStyle({weight: 6, color: "#ffd700"});
    setTimeout(styleTowns, 1500);
    document.body.dataset.found = hit.feature.properties.township;
  }

  function saveLink() {
    var name = $("scenario-name").value || "workbench";
    $("save").href = "/api/scenario.toml?name=" + encodeURIComponent(name);
  }

  function suggestTypes() {
    var std = stdInfo(S.std);
    var want = $("add-type").value, types = std ? std.types : [];
    var sel = typeSelect(types, types.indexOf(want) >= 0 ? want : types[0]);
    sel.id = "suggest-type";
    $("suggest-type").replaceWith(sel);
  }

  // the type to add: one that counts for the standard shown, unless the planner chose one;
  // each option says whether it counts
  function markAddTypes() {
    var std = stdInfo(S.std), sel = $("add-type");
    if (!std) { return; }
    if (!S.addChosen && std.types.indexOf(sel.value) < 0) { sel.value = std.types[0]; }
    Array.prototype.forEach.call(sel.options, function (o) {
      var counts = std.types.indexOf(o.value) >= 0;
      o.textContent = typeInfo(o.value).label + " (" + o.value + ")" + (counts ? " ✓" : "");
    });
    var counts = std.types.indexOf(sel.value) >= 0;
    $("add-counts").textContent = counts ? "✓ " + L_("counts") : "✗ " + L_("not_counts");
    $("add-counts").className = counts ? "up" : "down";
  }

  function cell(v, text, cls) {
    return '<td data-v="' + (v === null || v === undefined ? "" : v) + '"' + (cls ? ' class="' + cls + '"' : "") +
      ">" + text + "</td>";
  }

  function rowHtml(r, target) {
    var status = r.applies === false ? L_("na_town") : (r.meets === null ? "–" : L_(r.meets ? "meets" : "fails"));
    var sc = r.share_change, cls = sc > 0 ? "up" : (sc < 0 ? "down" : "");
    return cell(null, esc(r.township)) + cell(r.population, fmtInt(r.population)) +
      cell(r.covered, fmtInt(r.covered)) + cell(r.share, fmtShare(r.share), r.meets === false ? "fail" : "pass") +
      cell(sc, fmtSigned(sc, function (v) { return (v * 100).toFixed(1) + "%"; }), cls) +
      cell(r.median, fmtMin(r.median)) +
      cell(r.newly_covered, r.newly_covered ? "+" + fmtInt(r.newly_covered) : "0", r.newly_covered ? "up" : "") +
      cell(r.lost, r.lost ? "−" + fmtInt(r.lost) : "0", r.lost ? "down" : "") +
      cell(null, esc(status), r.meets === false ? "fail" : "pass");
  }

  function renderTable(flash) {
    var t = shownTable();
    if (!t) { return; }
    var old = {};
    document.querySelectorAll("#table tbody tr").forEach(function (tr) { old[tr.dataset.town] = tr.dataset.sig; });
    $("table").tBodies[0].innerHTML = t.rows.map(function (r) {
      var sig = [r.covered, r.median].join("|");
      var cls = flash && old[r.township] !== undefined && old[r.township] !== sig ? ' class="flash"' : "";
      return '<tr data-town="' + esc(r.township) + '" data-sig="' + sig + '"' + cls + ">" + rowHtml(r, t.target) + "</tr>";
    }).join("");
    var a = L.extend({}, t.area, {township: L_("whole") + " " + t.area.township});
    $("table").tFoot.innerHTML = '<tr data-town="">' + rowHtml(a, t.target) + "</tr>";
    var info = stdInfo(S.std) || {};
    $("table-caption").textContent = info.label + " · " +
      (S.group ? L_("group") + " " + groupLabel() + " · " : "") +
      L_("target_short", {share: fmtShare(t.target)}) + (info.scope ? " · " + info.scope : "");
    renderSummary(t);
  }

  function renderSummary(t) {
    var a = t.area, box = $("summary");
    if (!t.applicable && a.covered_before === null) {
      var info = stdInfo(S.std) || {};
      // a standard whose township kinds the study lacks says so (geo.coverage.kinds)
      box.textContent = info.scope && info.scope.indexOf(L_("na_town")) >= 0 ? info.scope : L_("na");
      return;
    }
    box.innerHTML = "<b>" + esc(L_("change")) + "</b>: " + esc(L_("covered_population")) + " " +
      fmtInt(a.covered_before) + " → " + fmtInt(a.covered) + " (" + fmtShare(a.share_before) + " → " +
      fmtShare(a.share) + ", " + esc(L_("target_short", {share: fmtShare(t.target)})) + ")" +
      ' · <span class="up">' + esc(L_("gained")) + " +" + fmtInt(a.newly_covered) +
      '</span> · <span class="down">' + esc(L_("lost")) + " −" + fmtInt(a.lost) + "</span> · " +
      esc(L_("median")) + " " + fmtMin(a.median_before) + " → " + fmtMin(a.median);
  }

  function styleTowns() {
    var t = shownTable();
    var rows = {};
    t.rows.forEach(function (r) { rows[r.township] = r; });
    S.townLayer.eachLayer(function (layer) {
      var st = townStyle(rows[layer.feature.properties.township], t.target);
      st.className = "wb-town";
      layer.setStyle(st);
    });
  }

  function paintCells(idx) {
    var b = S.bands[S.std];
    if (!b) { return; }
    if (idx) {
      idx.forEach(function (i) { S.cells[i].setStyle(bandStyle(b[i])); });
    } else {
      S.cells.forEach(function (c, i) { c.setStyle(bandStyle(b[i])); });
    }
  }

  function showGroup(name) {
    S.group = S.view.group = name || "";
    renderTable(false);
    styleTowns();
    if (S.side && !$("side").hidden) { drawSide(); }  // the side by side counts the same people
  }

  function showStandard(name) {
    S.std = S.view.std = name;
    document.querySelectorAll("#standard-list input").forEach(function (r) { r.checked = r.value === name; });
    $("print-standard").textContent = (stdInfo(name) || {}).label || name;
    renderTable(false);
    styleTowns();
    paintCells(null);
    markAddTypes();
    suggestTypes();
  }

  function kindLabel(kind) {
    return {add: L_("kind_add"), move: L_("kind_move"), close: L_("kind_close"), retype: L_("kind_retype"),
            designate: L_("kind_designate"), load: L_("kind_load"), close_road: L_("kind_close_road"),
            slow_road: L_("kind_slow_road")}[kind] || kind;
  }

  // the changes list: every step, each clickable to zoom to its facility, and a button
  // that undoes (or redoes) to that point
  function renderChanges(h) {
    var box = $("changes-list");
    var items = ['<li data-n="0" class="wb-step' + (h.steps === 0 ? " here" : "") + '"><span class="what">' +
                 esc(L_("start_point")) + "</span>" + (h.steps > 0 ? ' <button class="wb-undo-to" data-n="0">' +
                 esc(L_("undo_here")) + "</button>" : "") + "</li>"];
    (h.list || []).forEach(function (s) {
      var names = (s.facilities || []).map(function (f) { return f.name; }).join(", ");
      var what = kindLabel(s.kind) + (names ? " · " + names : "") +
                 (s.scenario ? " · " + s.scenario : "") + (s.road ? " · " + s.road : "");
      var here = s.n === h.steps, btn = "";
      if (!here) {
        btn = ' <button class="wb-undo-to" data-n="' + s.n + '">' + esc(s.done ? L_("undo_here") : L_("redo_here")) +
              "</button>";
      }
      items.push('<li data-n="' + s.n + '" class="wb-step' + (s.done ? "" : " undone") + (here ? " here" : "") +
                 '"><span class="what">' + s.n + ". " + esc(what) + "</span>" + btn + "</li>");
    });
    box.innerHTML = items.join("");
    $("changes-limit").textContent = L_("changes_limit", {steps: h.limit ? h.limit.steps : "",
      loads: h.limit ? h.limit.loads : "", forgotten: h.forgotten || 0});
    box.querySelectorAll("li .what").forEach(function (el) {
      el.onclick = function () {
        var n = Number(el.parentNode.dataset.n), s = (h.list || [])[n - 1];
        var f = s && (s.facilities || [])[0];
        if (f) { S.map.setView([f.lat, f.lon], Math.max(S.map.getZoom(), 13)); }
      };
    });
    box.querySelectorAll("button.wb-undo-to").forEach(function (b) {
      b.onclick = function () { send("POST", EDITS.undo_to, {steps: Number(b.dataset.n)}); };
    });
    $("changes-count").textContent = String(h.steps || 0);
  }

  function setHistory(h) {
    S.history = h;
    $("undo").disabled = !h.can_undo;
    $("redo").disabled = !h.can_redo;
    $("undo").title = h.undo || "";
    $("redo").title = h.redo || "";
    renderChanges(h);
  }

  function showScenario(sc) {
    S.scenario = sc || {};
    var box = $("scenario-box");
    if (!sc || !sc.name) { box.hidden = true; return; }
    box.hidden = false;
    var html = "<b>" + esc(L_("scenario_head")) + "</b>: " + esc(sc.title || sc.name) + " (" + esc(sc.name) + ")";
    if (sc.description) { html += '<p class="wb-desc">' + esc(sc.description) + "</p>"; }
    if (sc.left_out && sc.left_out.length) {
      html += "<b>" + esc(L_("left_out")) + "</b><ul>" + sc.left_out.map(function (x) {
        return "<li>" + esc(x.project) + ": " + esc(x.reason) + "</li>"; }).join("") + "</ul>";
    }
    box.innerHTML = html;
  }

  function timing(res) {
    var ms = res.engine_ms !== undefined ? res.engine_ms : res.server_ms;
    $("timing").textContent = L_("server_ms", {ms: (res.server_ms || ms).toFixed(1)});
  }

  function done() {
    S.version += 1;
    var clickAt = S.clickAt;
    S.clickAt = null;
    var version = S.version;
    // after the frame that draws the new table (rAF, then a task after that paint)
    requestAnimationFrame(function () {
      setTimeout(function () {
        if (clickAt) { window.wbClickToTable = performance.now() - clickAt; }
        document.body.dataset.version = String(version);
      }, 0);
    });
  }

  function applyState(st) {
    S.fac = {};
    st.facilities.forEach(function (f) { S.fac[f.id] = f; });
    S.bands = st.bands;
    S.tables = st.tables;
    S.groupTables = st.group_tables || {};
    S.proposals = st.proposals || [];
    S.suggestNotes = st.suggest_notes || {};
    S.serverVersion = st.version;
    setHistory(st.history);
    showScenario(st.scenario);
    drawRoads(st.roads);
    refreshMarkers();
    drawProposals();
    showStandard(S.std || S.layers.map_standard);
    timing(st);
    done();
  }

  function applyUpdate(u) {
    if (u.kind === "state") { applyState(u); return; }
    u.facilities.forEach(function (f) { S.fac[f.id] = f; });
    Object.keys(u.cells).forEach(function (name) {
      var b = S.bands[name], c = u.cells[name];
      c.idx.forEach(function (i, k) { b[i] = c.band[k]; });
    });
    S.tables = u.tables;
    S.groupTables = u.group_tables || {};
    S.serverVersion = u.version;
    setHistory(u.history);
    if (u.proposals) { S.proposals = u.proposals; drawProposals(); }
    drawRoads(u.roads);
    refreshMarkers();
    renderTable(true);
    styleTowns();
    paintCells(u.cells[S.std] ? u.cells[S.std].idx : []);
    timing(u);
    done();
  }

  // ------------------------------------------------------------------ print, PNG

  function stampDate() {
    $("print-date").textContent = L_("printed", {date: new Date().toISOString().slice(0, 16).replace("T", " ")});
  }

  function exportPng() {
    document.body.classList.add("sheet");
    stampDate();
    S.map.invalidateSize();
    busy(1);
    setTimeout(function () {
      window.htmlToImage.toPng(document.body, {
        pixelRatio: 1, backgroundColor: "#ffffff", skipFonts: true,
        // base-map tiles come from another server the page may not read: left out, and said
        filter: function (n) { return !(n.classList && n.classList.contains("leaflet-tile")); }
      }).then(function (url) {
        var a = document.createElement("a");
        a.href = url; a.download = ($("scenario-name").value || "workbench") + ".png";
        document.body.appendChild(a); a.click(); a.remove();
        window.wbPng = url.length;
      }).catch(function (e) { showError(String(e && e.message || e)); }).then(function () {
        document.body.classList.remove("sheet");
        S.map.invalidateSize();
        busy(-1);
      });
    }, 300);
  }

  // ------------------------------------------------------------------ side by side

  function readFile(input) {
    var f = input.files[0];
    return f ? f.text().then(function (t) { return [t, f.name]; }) : Promise.resolve(["", ""]);
  }

  function sideBySide() {
    Promise.all([readFile($("side-a")), readFile($("side-b"))]).then(function (got) {
      busy(1);
      return api("POST", "/api/compare", {a: got[0][0], a_name: got[0][1] || L_("side_a"),
                                          b: got[1][0], b_name: got[1][1] || L_("side_b")});
    }).then(function (res) {
      busy(-1);
      S.side = res;
      $("side").hidden = false;
      drawSide();
    }).catch(function (e) { busy(-1); showError(e.message); });
  }

  function sideMap(id, t) {
    var old = S["map_" + id];
    if (old) { old.remove(); }
    var m = S["map_" + id] = L.map(id, {zoomSnap: 0.25, attributionControl: false});
    var rows = {};
    t.rows.forEach(function (r) { rows[r.township] = r; });
    L.geoJSON(S.layers.townships, {style: function (f) {
      var st = townStyle(rows[f.properties.township], t.target); st.className = "wb-side-town"; return st; },
      onEachFeature: function (f, layer) {
        var r = rows[f.properties.township];
        layer.bindTooltip(esc(f.properties.township) + " " + fmtShare(r ? r.share : null), {sticky: true});
      }}).addTo(m);
    m.fitBounds(S.layers.bounds);
    return m;
  }

  function drawSide() {
    var res = S.side, std = S.std, ta = tableOf(res.a.tables, res.a.group_tables, std),
        tb = tableOf(res.b.tables, res.b.group_tables, std);
    var who = S.group ? " · " + L_("group") + " " + groupLabel() : "";
    $("side-a-title").textContent = "A · " + (res.a.title || res.a.name) + who;
    $("side-b-title").textContent = "B · " + (res.b.title || res.b.name) + who;
    var ma = sideMap("side-map-a", ta), mb = sideMap("side-map-b", tb), lock = false;
    function sync(from, to) {
      from.on("move", function () {
        if (lock) { return; }
        lock = true; to.setView(from.getCenter(), from.getZoom(), {animate: false}); lock = false;
      });
    }
    sync(ma, mb); sync(mb, ma);
    var rows = ta.rows.map(function (r, i) { return [r, tb.rows[i]]; });
    rows.push([ta.area, tb.area]);
    $("side-table").innerHTML = "<thead><tr><th>" + esc(L_("township")) + "</th><th>A " + esc(L_("share")) +
      "</th><th>B " + esc(L_("share")) + "</th><th>" + esc(L_("side_diff")) + "</th><th>A " + esc(L_("covered_population")) +
      "</th><th>B " + esc(L_("covered_population")) + "</th><th>A " + esc(L_("target")) + "</th><th>B " +
      esc(L_("target")) + "</th></tr></thead><tbody>" + rows.map(function (p) {
        var a = p[0], b = p[1], d = (a.share === null || b.share === null) ? null : Math.round((b.share - a.share) * 1e4) / 1e4;
        return "<tr><td>" + esc(a.township) + "</td>" + cell(a.share, fmtShare(a.share)) + cell(b.share, fmtShare(b.share)) +
          cell(d, fmtSigned(d, function (v) { return (v * 100).toFixed(1) + "%"; }), d > 0 ? "up" : (d < 0 ? "down" : "")) +
          cell(a.covered, fmtInt(a.covered)) + cell(b.covered, fmtInt(b.covered)) +
          cell(null, a.meets === null ? "–" : esc(L_(a.meets ? "meets" : "fails"))) +
          cell(null, b.meets === null ? "–" : esc(L_(b.meets ? "meets" : "fails"))) + "</tr>";
      }).join("") + "</tbody>";
    document.body.dataset.side = "1";
  }

  // ------------------------------------------------------------------ start

  Promise.all([api("GET", "/api/layers"), api("GET", "/api/state")]).then(function (got) {
    S.layers = got[0];
    buildPanel();
    buildMap();
    applyState(got[1]);
    S.map.invalidateSize();
    S.map.fitBounds(S.layers.bounds, {padding: [8, 8]});
    S.map.on("zoomend", refreshMarkers);  // the spread legs are drawn in pixels
    document.body.dataset.ready = "1";
  }).catch(function (e) {
    S.layers = S.layers || {labels: {}};
    showError(e.message);
  });
})();
